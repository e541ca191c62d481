"""The recorder in-process: call normalization, what is captured, when hooks are off, memory release."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

import pytest

from helpers import require


def _record(tmp_path, body: str, max_depth: int = 0, script_args: str = ""):
    from benchit.analysis import ModelRecorder, run_script

    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    recorder = ModelRecorder(script, max_depth=max_depth)
    recorder.start()
    try:
        outcome = run_script(script, script_args)
    finally:
        recorder.stop()
    return recorder, outcome


def test_positional_keyword_and_default_none_calls_are_one_signature(tmp_path):
    recorder, outcome = _record(tmp_path, """
        import torch

        class M(torch.nn.Module):
            def forward(self, a, b=None, c=1):
                return a * c if b is None else a + b

        m = M()
        a = torch.ones(2)
        m(a)
        m(a=a)
        m(a, None)
        m(a, b=None, c=1)
        m(a, c=3)  # c=3 is another signature (a value, not a tensor)
    """)
    assert not outcome.failed, outcome
    (info,) = recorder.models
    assert [inv.calls for inv in info.invocations] == [3, 1, 1]
    third = info.invocations[2]
    # b was left out, so c after it is a keyword: a positional c would land in b's slot
    assert third.arg_names == ["a"] and list(third.kwargs) == ["c"] and third.kwargs["c"] == 3


def test_calls_after_stop_are_not_counted_and_hooks_are_removed(tmp_path):
    import torch

    original = torch.nn.Module.__call__
    recorder, _ = _record(tmp_path, """
        import torch
        model = torch.nn.Linear(2, 2)
        model(torch.ones(2))
    """)
    assert torch.nn.Module.__call__ is original
    (info,) = recorder.models
    info.model(torch.ones(2))  # what benchit does afterwards: export, validation, benchmark
    assert info.invocations[0].calls == 1


def test_a_direct_forward_call_is_named_in_the_sub_modules_it_exposes(tmp_path):
    # net.forward(x) skips __call__: the recorder sees fc1 and fc2 as models, and says why beside them
    recorder, outcome = _record(tmp_path, """
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = torch.nn.Linear(8, 16)
                self.fc2 = torch.nn.Linear(16, 4)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))

        net, other = Net(), torch.nn.Linear(8, 8)
        x = torch.ones(1, 8)
        net.forward(x)
        other(x)
        Net()(x)
    """)
    assert not outcome.failed, outcome
    notes = {info.name: info.location_note for info in recorder.models}
    assert set(notes) == {"net.fc1", "net.fc2", "other", "net"}, notes
    for name in ("net.fc1", "net.fc2"):
        assert notes[name] == ("called inside Net.forward, which the script called directly: call the model "
                               "itself, not .forward(), to benchmark Net"), notes
    assert notes["other"] == "" and notes["net"] == ""  # called as models: nothing to explain


def test_captured_inputs_are_copies_and_inference_tensors_become_normal(tmp_path):
    recorder, _ = _record(tmp_path, """
        import torch
        model = torch.nn.Linear(3, 3)
        x = torch.zeros(2, 3)
        with torch.inference_mode():
            y = torch.ones(1, 3)
            model(y)
        model(x)
        x += 5  # the script changes its input afterwards
    """)
    (info,) = recorder.models
    first, second = info.invocations
    assert first.calls == 1 and second.calls == 1
    assert not first.args[0].is_inference()
    assert not first.outputs.is_inference()
    assert float(second.args[0].sum()) == 0.0


def test_hash_and_parameters_of_a_lazy_module_are_taken_once_it_is_built(tmp_path):
    recorder, _ = _record(tmp_path, """
        import torch
        lazy = torch.nn.LazyLinear(4)
        lazy(torch.ones(1, 6))
    """)
    (info,) = recorder.models
    assert info.params == 6 * 4 + 4
    assert info.param_bytes == info.params * 4


def test_half_precision_parameters_are_sized_truthfully(tmp_path):
    recorder, _ = _record(tmp_path, """
        import torch
        model = torch.nn.Linear(10, 10).half()
        model(torch.ones(1, 10, dtype=torch.float16))
    """)
    (info,) = recorder.models
    assert (info.params, info.param_bytes) == (110, 220)


def test_models_and_inputs_are_freed_on_release(tmp_path):
    recorder, _ = _record(tmp_path, """
        import torch
        model = torch.nn.Linear(3, 3)
        model(torch.ones(3))
    """)
    (info,) = recorder.models
    model_ref = weakref.ref(info.model)
    input_ref = weakref.ref(info.invocations[0].args[0])
    recorder.release()
    del info
    gc.collect()
    assert model_ref() is None and input_ref() is None


def test_failed_script_keeps_the_models_it_called(tmp_path):
    recorder, outcome = _record(tmp_path, """
        import torch
        model = torch.nn.Linear(3, 3)
        model(torch.ones(3))
        model(torch.ones(4))  # a shape error inside the model
    """)
    assert outcome.status == "raised" and "line 5" in outcome.location
    (info,) = recorder.models
    assert info.hash and info.invocations[0].calls == 1


def test_a_torch_script_never_imports_tensorflow(tmp_path):
    script = tmp_path / "torch_only.py"
    script.write_text("import torch\ntorch.nn.Linear(2, 2)(torch.ones(2))\n")
    code = textwrap.dedent(f"""
        import sys
        from benchit.analysis import ModelRecorder, run_script
        recorder = ModelRecorder({str(script)!r})
        recorder.start()
        run_script({str(script)!r})
        recorder.stop()
        print(len(recorder.models), [m for m in ("tensorflow", "keras") if m in sys.modules])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "1 []"


@pytest.mark.slow
def test_keras_symbolic_calls_are_not_model_calls(tmp_path):
    require("tensorflow", "the tensorflow extra: pip install -e '.[tensorflow]'")
    script = tmp_path / "k.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import keras
        import tensorflow as tf

        inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        inputs = keras.Input((3,))
        outer = keras.Model(inputs, inner(inputs))  # a symbolic call of `inner`: not a call

        @tf.function
        def traced(x):
            return outer(x)  # traced once into a graph: not an eager call either

        outer(np.ones((1, 3), "float32"))
        traced(np.ones((1, 3), "float32"))
    """))
    code = textwrap.dedent(f"""
        from benchit.analysis import ModelRecorder, run_script
        recorder = ModelRecorder({str(script)!r}, max_depth=1)
        recorder.start()
        outcome = run_script({str(script)!r})
        recorder.stop()
        print(outcome.status, [(m.name, m.depth, m.calls) for m in recorder.models])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # inside a Functional model a sub-model is known by its Keras name
    assert proc.stdout.strip().splitlines()[-1] == "ok [('outer', 0, 1), ('sequential', 1, 1)]"


def test_model_not_created_under_the_hooks_is_located_at_its_first_call(tmp_path):
    recorder, _ = _record(tmp_path, """
        import copy
        import torch
        twin = copy.deepcopy(torch.nn.Linear(2, 2))
        twin(torch.ones(2))
    """)
    (info,) = recorder.models
    assert info.location == (str(tmp_path / "script.py"), 5)
    assert info.location_note == "first call; created outside the script"


def test_hash_ignores_object_addresses_in_the_repr(tmp_path):
    body = """
        import torch

        class WithFn(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fn = lambda x: x * 2

            def extra_repr(self):
                return repr(self.fn)  # '<function WithFn.__init__.<locals>.<lambda> at 0x7f...>'

            def forward(self, x):
                return self.fn(x)

        a, b = WithFn(), WithFn()
        a(torch.ones(1))
        b(torch.ones(1))
    """
    recorder, _ = _record(tmp_path, body)
    first, second = recorder.models
    assert " at 0x" in repr(first.model)
    assert first.hash == second.hash
