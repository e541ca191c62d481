"""benchit.build on small real models: stages, validation figures, state, reuse policies, failures.

These call `build_invocation` directly (no CLI); tests/test_build_cli.py runs the same things
through the real `benchit` command.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchit.build import (BuildContext, ConvertFp16, ExportModel, OptimizeOnnx, Sequence, SetSuccess,
                           build_invocation, load_sequence)
from benchit.build.identity import build_key, config_id, key_parts
from benchit.cache.layout import Build, Rebuild
from benchit.records import BuildRequest


def reference_outputs(outputs):
    from benchit.tensors import flatten_arrays

    return [array for _, array in flatten_arrays(outputs)]
from helpers import require

DATA = Path(__file__).resolve().parent / "data" / "build"
MY_CONF = Path(__file__).resolve().parent.parent / "examples" / "cli" / "extras" / "my_conf"
STATUS_LINE = re.compile(r"^(\w+) failed: .+ \(log: (\S+)\)$")


def default_sequence(**export):
    return Sequence("default", [ExportModel(**export), OptimizeOnnx(), ConvertFp16(), SetSuccess()])


def make_ctx(cache: Path, model, args, name="m_00000000", kwargs=None, framework="pytorch"):
    import torch

    with torch.no_grad():
        outputs = model(*args, **(kwargs or {}))
    return BuildContext(model=model, framework=framework, args=tuple(args), kwargs=kwargs or {},
                        reference_outputs=reference_outputs(outputs), build=Build(cache, name, "cfg"))


def request(ctx, sequence, strict=False) -> BuildRequest:
    parts = key_parts("00000000", ctx.framework, repr([a.shape for a in ctx.args]), None, sequence.describe(), {})
    key = build_key(parts)
    return BuildRequest(build_name=ctx.build.name, config_id=config_id(sequence.name, None, key), build_key=key,
                        sequence_name=sequence.name, sequence=sequence.stage_names(ctx.framework), key_parts=parts,
                        strict=strict, framework=ctx.framework)


def build(ctx, sequence, rebuild="if_needed", strict=False, **kw):
    """Build into the build config's own folder, as the pipeline does (one folder per build config)."""
    wanted = request(ctx, sequence, strict)
    ctx.build = Build(ctx.build.cache_dir, ctx.build.name, wanted.config_id)
    return build_invocation(ctx, sequence, wanted, rebuild=Rebuild(rebuild), strict=strict, **kw)


def state_of(ctx) -> dict:
    """The state of the model's newest build config."""
    states = sorted(ctx.build.model_dir.glob("*/state.yaml"), key=lambda p: p.stat().st_mtime_ns)
    return yaml.safe_load(states[-1].read_text())


@pytest.fixture
def mlp():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8)), (torch.randn(4, 16),)


def test_default_sequence_state_and_validation(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, default_sequence())
    assert result.status == "successful" and not result.from_cache, result.message
    state = state_of(ctx)
    names = ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]
    assert state["build_status"] == "successful"
    assert state["sequence"] == names == state["config"]["sequence"] == state["completed_stages"]
    assert set(state["stage_seconds"]) == set(names) and state["build_seconds"] > 0
    assert state["facts"]["exporter"] == "dynamo" and state["facts"]["exporter_fallback_reason"] is None
    assert state["facts"]["opset"] == 20 and state["facts"]["opset_requested"] == 20
    assert {"torch", "onnx", "benchit", "python"} <= set(state["versions"])
    assert "onnxruntime" in state["versions"] or "onnxruntime-gpu" in state["versions"]
    assert state["onnx_inputs"] == {next(iter(result.inputs)): {"shape": [4, 16], "dtype": "float32"}}
    assert state["onnx_file"] == "onnx/m_00000000-fp16.onnx"
    for artifact in state["artifacts"]:
        assert (ctx.build.dir / artifact).is_file()
    for stage in names:
        assert ctx.build.log_path(stage).is_file()
    # fp32 files match torch closely; float16 visibly less, within its tolerance
    v = state["validation"]
    assert v["export_pytorch"]["max_abs_error"] < 1e-5 and v["optimize_onnx"]["max_abs_error"] < 1e-5
    assert v["export_pytorch"]["ok"] and v["optimize_onnx"]["ok"]
    assert 1e-5 < v["fp16_conversion"]["max_abs_error"] < 1e-2
    assert v["fp16_conversion"]["max_rel_error"] > v["export_pytorch"]["max_rel_error"]
    assert state["facts"]["fp16_io"].startswith("float16")
    assert set(state["facts"]["fp16_io_types"].values()) == {"float16"}
    # the stage logs hold the exporter's chatter and the validation line
    assert "validation: max abs error" in ctx.build.log_path("fp16_conversion").read_text()


@pytest.mark.slow
def test_partial_sequence_and_keep_io_types(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, Sequence("no_success", [ExportModel(), ConvertFp16(keep_io_types=True, op_block_list=["Relu"])]))
    assert result.status == "partial" and result.ok
    state = state_of(ctx)
    assert state["facts"]["fp16_io"] == "float32 (keep_io_types)"
    assert set(state["facts"]["fp16_io_types"].values()) == {"float32"}
    import onnx

    fp16 = onnx.load(str(ctx.build.dir / state["onnx_file"]))
    assert any(n.op_type == "Relu" for n in fp16.graph.node)
    assert state["facts"]["fp16_op_block_list"] == ["Relu"]


@pytest.mark.slow
def test_integer_inputs_stay_integer(tmp_path):
    import torch

    class Bag(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(50, 8)
            self.out = torch.nn.Linear(8, 2)

        def forward(self, ids):
            return self.out(self.emb(ids).mean(dim=1))

    torch.manual_seed(0)
    ctx = make_ctx(tmp_path, Bag(), (torch.randint(0, 50, (3, 5)),))
    result = build(ctx, default_sequence())
    assert result.status == "successful", result.message
    state = state_of(ctx)
    input_name = next(iter(result.inputs))
    assert state["facts"]["fp16_io_types"][input_name] == "int64"
    assert state["validation"]["fp16_conversion"]["max_abs_error"] < 1e-2


@pytest.mark.slow
def test_training_mode_model_is_exported_in_eval_mode(tmp_path):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2))
    assert model.training
    ctx = make_ctx(tmp_path, model, (torch.randn(4, 8),))  # dropout active: outputs are random
    result = build(ctx, Sequence("e", [ExportModel(), SetSuccess()]))
    assert result.status == "successful"
    state = state_of(ctx)
    assert state["validation"]["export_pytorch"]["max_abs_error"] < 1e-5
    assert "eval mode" in state["facts"]["reference_outputs"]
    assert model.training, "the user's model is left in the mode it was in"


@pytest.mark.slow
def test_reuse_policies(tmp_path, mlp):
    model, args = mlp
    sequence = Sequence("e", [ExportModel(), SetSuccess()])
    first = build(make_ctx(tmp_path, model, args), sequence)
    assert first.status == "successful" and state_of(make_ctx(tmp_path, model, args))["rebuild_reason"] == "not in the cache"

    again = build(make_ctx(tmp_path, model, args), sequence)
    assert again.from_cache and again.status == "successful"
    assert again.onnx_file.is_file() and set(again.inputs) == set(first.inputs)

    forced = build(make_ctx(tmp_path, model, args), sequence, rebuild="always")
    assert not forced.from_cache
    assert state_of(make_ctx(tmp_path, model, args))["rebuild_reason"] == "cache.rebuild=always"

    changed = Sequence("e", [ExportModel(opset=18), SetSuccess()])  # a stage parameter changed: another config
    rebuilt = build(make_ctx(tmp_path, model, args), changed)
    assert not rebuilt.from_cache and rebuilt.state.config_id != first.state.config_id
    assert rebuilt.state.facts["opset"] == 18 and rebuilt.state.rebuild_reason == "not in the cache"
    assert sorted(p.parent.name for p in (tmp_path / "m_00000000").glob("*/state.yaml")) == \
        sorted([first.state.config_id, rebuilt.state.config_id])  # both configs kept, side by side

    # never: reuse what this build config has ...
    reused = build(make_ctx(tmp_path, model, args), sequence, rebuild="never")
    assert reused.from_cache and reused.state.config_id == first.state.config_id
    # ... and fail when there is nothing
    nothing = build(make_ctx(tmp_path / "empty", model, args), sequence, rebuild="never")
    assert nothing.status == "failed" and "cache.rebuild=never" in nothing.message
    assert not (tmp_path / "empty" / "m_00000000").exists() or not list((tmp_path / "empty").rglob("state.yaml"))


@pytest.mark.slow
def test_deleted_artifacts_are_never_a_cache_hit(tmp_path, mlp):
    model, args = mlp
    sequence = default_sequence()
    first = make_ctx(tmp_path, model, args)
    build(first, sequence)
    (first.build.onnx_dir / "m_00000000-opt.onnx").unlink()  # not the final file, but one the state lists
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, sequence)
    assert not result.from_cache and result.status == "successful"
    assert state_of(ctx)["rebuild_reason"].startswith("build files are missing (")


@pytest.mark.slow
def test_lean_state_is_rebuilt(tmp_path, mlp, capsys):
    from benchit.cli import main

    model, args = mlp
    sequence = Sequence("e", [ExportModel(), SetSuccess()])
    ctx = make_ctx(tmp_path, model, args)
    build(ctx, sequence)
    # what --lean-cache does after the benchmark, and `benchit cache clean` on a user's request
    assert main(["cache", "clean", ctx.build.name, "--cache-dir", str(tmp_path)]) == 0, capsys.readouterr().err
    state = state_of(ctx)
    assert state["lean"] and state["onnx_file"] is None
    assert not ctx.build.onnx_dir.exists() and not ctx.build.inputs_path.exists()
    assert "onnx/m_00000000.onnx" in state["lean_deleted"]
    assert not any(a.startswith("onnx/") for a in state["artifacts"])
    result = build(make_ctx(tmp_path, model, args), sequence)
    assert not result.from_cache and result.onnx_file.is_file()
    assert "lean" in state_of(ctx)["rebuild_reason"]


@pytest.mark.slow
def test_interrupted_build_is_rebuilt(tmp_path, mlp):
    model, args = mlp
    sequence = Sequence("e", [ExportModel(), SetSuccess()])
    ctx = make_ctx(tmp_path, model, args)
    build(ctx, sequence)
    state = state_of(ctx)
    # what a process killed during optimize_onnx leaves behind (the CLI test kills a real one)
    state.update(build_status="running", current_stage="optimize_onnx")
    ctx.build.state_path.write_text(yaml.safe_dump(state))
    result = build(make_ctx(tmp_path, model, args), sequence)
    assert not result.from_cache and result.status == "successful"
    assert state_of(ctx)["rebuild_reason"] == "the previous build was interrupted during optimize_onnx"


@pytest.mark.slow
def test_external_data_through_every_stage(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, default_sequence(external_data_bytes=0))
    assert result.status == "successful", result.message
    state = state_of(ctx)
    assert state["facts"]["external_data"] is True
    from benchit.build.onnx_files import has_external_data

    for stem in ("m_00000000", "m_00000000-opt", "m_00000000-fp16"):
        onnx_file = ctx.build.onnx_dir / f"{stem}.onnx"
        assert has_external_data(onnx_file), stem
        assert (ctx.build.onnx_dir / f"{stem}.onnx.data").is_file()
        assert f"onnx/{stem}.onnx.data" in state["artifacts"]
    assert state["validation"]["optimize_onnx"]["max_abs_error"] < 1e-5
    # a missing weights file means the build cannot be reused
    (ctx.build.onnx_dir / "m_00000000-fp16.onnx.data").unlink()
    assert not build(make_ctx(tmp_path, model, args), default_sequence(external_data_bytes=0)).from_cache


@pytest.mark.slow
def test_torchscript_exporter_with_external_data(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, Sequence("ts", [ExportModel(exporter="torchscript", opset=17, external_data_bytes=0),
                                        OptimizeOnnx(), SetSuccess()]))
    assert result.status == "successful", result.message
    state = state_of(ctx)
    assert state["facts"]["exporter"] == "torchscript" and state["facts"]["opset"] == 17 and state["facts"]["external_data"]
    assert (ctx.build.onnx_dir / "m_00000000.onnx.data").is_file()


@pytest.mark.slow
def test_dynamo_minimum_opset_is_recorded(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    build(ctx, Sequence("e", [ExportModel(opset=13, exporter="dynamo"), SetSuccess()]))
    state = state_of(ctx)
    assert state["facts"]["opset_requested"] == 13
    import onnx

    written = onnx.load(str(ctx.build.dir / state["onnx_file"]))
    actual = next(o.version for o in written.opset_import if o.domain in ("", "ai.onnx"))
    assert state["facts"]["opset"] == actual


@pytest.mark.slow
def test_tolerance_warning_and_strict_failure(tmp_path, mlp):
    model, args = mlp
    sequence = Sequence("tight", [ExportModel(), ConvertFp16(tolerance=1e-9), SetSuccess()])
    result = build(make_ctx(tmp_path, model, args), sequence)
    assert result.status == "successful"
    assert any(re.fullmatch(r"fp16_conversion changed outputs by \d\.\de-\d+ \(tolerance 1e-9\)", w)
               for w in result.warnings), result.warnings
    strict = build(make_ctx(tmp_path, model, args), sequence, rebuild="always", strict=True)
    assert strict.status == "failed"
    assert strict.message.startswith("fp16_conversion failed: fp16_conversion changed outputs by")
    assert "build.strict=true" in strict.message and STATUS_LINE.match(strict.message)


def test_unexportable_model_fails_with_one_line(tmp_path):
    import torch

    class TopSingularValues(torch.autograd.Function):  # no ONNX symbolic
        @staticmethod
        def forward(ctx, x):
            return torch.linalg.svd(x, full_matrices=False).S

        @staticmethod
        def backward(ctx, grad):
            return grad

    class Model(torch.nn.Module):
        def forward(self, x):
            return TopSingularValues.apply(x)

    ctx = make_ctx(tmp_path, Model(), (torch.randn(3, 4),))
    result = build(ctx, default_sequence())
    assert result.status == "failed"
    match = STATUS_LINE.match(result.message)
    assert match and match.group(1) == "export_pytorch", result.message
    assert "\n" not in result.message and "\x1b" not in result.message
    assert "linalg_svd" in result.message
    log = Path(match.group(2)).read_text()
    assert "Traceback" in log and "dynamo" in log
    state = state_of(ctx)
    assert state["build_status"] == "failed" and state["failed_stage"] == "export_pytorch"
    assert state["completed_stages"] == []
    # a failed build is never reused: the next run tries again (and says why)
    again = build(make_ctx(tmp_path, Model(), (torch.randn(3, 4),)), default_sequence())
    assert again.status == "failed" and not again.from_cache
    assert state_of(ctx)["rebuild_reason"].startswith("the previous build failed")
    never = build(make_ctx(tmp_path, Model(), (torch.randn(3, 4),)), default_sequence(), rebuild="never")
    assert never.status == "failed" and "the previous build failed" in never.message


def _broken_fp16_sequence(name: str, monkeypatch) -> Sequence:
    """A sequence of tests/data/build/conf, whose float16 stage runs while onnxconverter-common writes an invalid
    model (broken_fp16.py): the stage's own failure and fallback run for real."""
    monkeypatch.setattr("sys.path", list(sys.path))  # the sequence's python_path is added for this test only
    config = yaml.safe_load((DATA / "conf" / "sequence" / f"{name}.yaml").read_text())
    return load_sequence({**config, "python_path": [str(DATA / "conf")]})


@pytest.mark.slow
def test_fp16_conversion_failure(tmp_path, mlp, monkeypatch):
    model, args = mlp
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, _broken_fp16_sequence("fp16_broken", monkeypatch))
    # no valid float16 model: the build goes on with the float32 file, and says so (never a failed build)
    assert result.status == "successful", result.message
    state = state_of(ctx)
    assert state["facts"]["fp16"].startswith("not possible: ") and "Type Error" in state["facts"]["fp16"]
    assert any(w.startswith("fp16 not possible") and "float32 file" in w for w in state["warnings"])
    assert state["onnx_file"] == "onnx/m_00000000.onnx" and "fp16_conversion" not in state["validation"]
    assert "the float16 model is invalid" in ctx.build.log_path("fp16_conversion").read_text()
    # with converter=auto (the default) the fallback converter rescues it, and the state says so
    ctx = make_ctx(tmp_path, model, args, name="auto_00000000")
    rescued = build(ctx, _broken_fp16_sequence("fp16_rescued", monkeypatch))
    assert rescued.status == "successful", rescued.message
    state = state_of(ctx)
    assert state["facts"]["fp16_converter"] == "onnxruntime" and "Type Error" in state["facts"]["fp16_converter_fallback_reason"]
    assert state["validation"]["fp16_conversion"]["max_abs_error"] < 1e-2
    import onnx

    rebuilt = onnx.load(str(ctx.build.dir / state["onnx_file"]))
    assert not any(n.name == "broken_on_purpose" for n in rebuilt.graph.node), "the broken model was kept"
    # onnxconverter-common itself (not broken) needs no fallback
    ctx = make_ctx(tmp_path, model, args, name="ok_00000000")
    assert build(ctx, default_sequence()).status == "successful"
    assert state_of(ctx)["facts"]["fp16_converter"] == "onnxconverter_common"
    assert state_of(ctx)["facts"]["fp16_converter_fallback_reason"] is None


@contextlib.contextmanager
def _unwritable(folder: Path):
    """`folder` unwritable even for the process that made it: chmod for a user, chattr +i for root (root ignores
    permission bits). Skips with the real reason where that is not possible (chattr missing, or present but
    without the CAP_LINUX_IMMUTABLE capability, as in many containers)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root, and there is no chattr to make a folder immutable")
    made = subprocess.run([chattr, "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"running as root, and `chattr +i` failed here: {(made.stderr or made.stdout).strip()}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


@pytest.mark.slow
def test_unwritable_build_folder(tmp_path, mlp):
    model, args = mlp
    ctx = make_ctx(tmp_path / "cache", model, args)
    ctx.build.model_dir.mkdir(parents=True)
    with _unwritable(ctx.build.model_dir):
        result = build(ctx, default_sequence(), fallback_log_dir=tmp_path / "job")
    match = STATUS_LINE.match(result.message)
    assert result.status == "failed" and match and match.group(1) == "export_pytorch", result.message
    assert "ermission" in result.message or "not permitted" in result.message
    log = Path(match.group(2))
    assert log.parent == tmp_path / "job" and "Traceback" in log.read_text()


@pytest.mark.slow
def test_user_stage_and_sequence_file(tmp_path, mlp, monkeypatch):
    model, args = mlp
    # What conf composes for sequence=with_user_stage (test_spine runs it through Hydra), with Gemm counted:
    # a 2-D Linear exports as Gemm (hello_world's 1-D one as MatMul)
    config = {"name": "with_user_stage", "python_path": [str(MY_CONF)],
              "stages": {"export": {"_target_": "benchit.build.stages.ExportModel"},
                         "count": {"_target_": "my_stages.CountNodes", "op_type": "Gemm"},
                         "success": {"_target_": "benchit.build.stages.SetSuccess"}}}
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    sequence = load_sequence(config)
    ctx = make_ctx(tmp_path, model, args)
    result = build(ctx, sequence)
    assert result.status == "successful", result.message
    state = state_of(ctx)
    assert state["sequence"] == ["export_pytorch", "count_nodes", "set_success"]
    import onnx

    gemms = [n for n in onnx.load(str(ctx.build.dir / state["onnx_file"])).graph.node if n.op_type == "Gemm"]
    assert state["facts"]["node_count"] == len(gemms) > 0
    assert "Gemm nodes in" in ctx.build.log_path("count_nodes").read_text()
    assert state["config"]["key_parts"]["stages"][1]["class"] == "my_stages.CountNodes"
    assert state["config"]["key_parts"]["stages"][1]["op_type"] == "Gemm"

    example = Path(__file__).resolve().parent.parent / "examples" / "cli" / "extras" / "example_sequence.py"
    from_file = load_sequence({"file": str(example)})
    assert from_file.stage_names("pytorch") == ["export_pytorch", "set_success"]


def test_bad_sequences_say_what_is_wrong(tmp_path):
    from benchit.build.sequence import SequenceError

    with pytest.raises(SequenceError, match="cannot create stage no_such_module.Stage"):
        load_sequence({"name": "x", "stages": [{"_target_": "no_such_module.Stage"}]})
    with pytest.raises(SequenceError, match="is not a benchit Stage"):
        load_sequence({"name": "x", "stages": [{"_target_": "collections.OrderedDict"}]})
    bad_file = tmp_path / "seq.py"
    bad_file.write_text("def get_sequence():\n    return [1]\n")
    with pytest.raises(SequenceError, match="not a benchit Sequence"):
        load_sequence({"file": str(bad_file)})
    with pytest.raises(ValueError, match="level must be"):
        OptimizeOnnx(level="fast")


@pytest.mark.slow
@pytest.mark.tensorflow
@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed_two_inputs", "integer_ids"])
def test_keras_export(tmp_path, kind):
    require("tf2onnx", "the tensorflow extra")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras = require("keras", "the tensorflow extra")

    class Two(keras.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = keras.layers.Dense(4), keras.layers.Dense(4)

        def call(self, x, y):
            return self.a(x) + self.b(y)

    class Ids(keras.Model):
        def __init__(self):
            super().__init__()
            self.e, self.d = keras.layers.Embedding(100, 8), keras.layers.Dense(2)

        def call(self, ids):
            return self.d(keras.ops.mean(self.e(ids), axis=1))

    rng = np.random.default_rng(0)
    x = rng.random((2, 16), dtype=np.float32)
    if kind == "sequential":
        model, args = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"),
                                        keras.layers.Dense(3)]), (x,)
    elif kind == "functional":
        inp = keras.Input((16,))
        model, args = keras.Model(inp, keras.layers.Dense(3)(keras.layers.Dense(8)(inp))), (x,)
    elif kind == "subclassed_two_inputs":
        model, args = Two(), (x[:, :3], x[:, 3:8])
    else:
        model, args = Ids(), (rng.integers(0, 100, (2, 7)).astype(np.int32),)
    outputs = model(*args)
    ctx = BuildContext(model=model, framework="keras", args=args, kwargs={},
                       reference_outputs=reference_outputs(outputs), build=Build(tmp_path, "k_00000000", "cfg"))
    result = build(ctx, default_sequence())
    assert result.status == "successful", result.message
    state = yaml.safe_load(ctx.build.state_path.read_text())
    assert state["sequence"][0] == "export_keras"
    assert state["facts"]["exporter"] == "tf2onnx" and state["facts"]["opset_requested"] == 20
    from benchit.build.keras_export import max_tf2onnx_opset

    assert state["facts"]["opset"] == max_tf2onnx_opset()
    assert state["validation"]["export_keras"]["max_abs_error"] < 1e-5
    if kind == "integer_ids":
        assert state["facts"]["fp16_io_types"]["input_0"] == "int32"


def test_an_error_only_at_padded_positions_is_judged_outside_them():
    """A left-padded batch: what a runtime computes at a padded position (attention_mask 0) nobody reads, so an
    error there alone is not a failed validation; the record keeps both figures and says where the error is."""
    import numpy as np
    import torch

    from benchit.tensors import padding_mask, validate

    mask = padding_mask({"attention_mask": torch.tensor([[1, 1, 1, 1], [0, 0, 1, 1]])})
    assert mask is not None and mask.tolist() == [[True] * 4, [False, False, True, True]]
    assert padding_mask({"attention_mask": torch.ones(2, 4)}) is None  # no padding: nothing to leave out
    reference = [np.arange(24, dtype=np.float32).reshape(2, 4, 3), np.ones((2, 5), dtype=np.float32)]
    padded = [reference[0].copy(), reference[1].copy()]
    padded[0][1, 0] += 0.5  # a padded position
    check = validate(reference, padded, 1e-4, mask=mask)
    assert check.ok and check.max_abs_error == 0.5 and check.unmasked_abs_error == 0.0
    assert "padded positions" in check.note
    assert not validate(reference, padded, 1e-4).ok  # without the mask: the plain rule
    real = [reference[0].copy(), reference[1].copy()]
    real[0][1, 3] += 0.5  # a real token's position
    check = validate(reference, real, 1e-4, mask=mask)
    assert not check.ok and check.unmasked_abs_error == 0.5
    other = [reference[0].copy(), reference[1] + 0.5]  # an output without the mask's shape is compared whole
    assert not validate(reference, other, 1e-4, mask=mask).ok
    cache = [np.zeros((2, 3, 4, 5)), np.zeros((2, 3, 4, 5))]  # a KV cache: (batch, heads, sequence, head dim)
    cache[1][1, :, 1] = 0.5  # padded position 1 of the second prompt, every head
    assert validate(cache[:1], cache[1:], 1e-4, mask=mask).ok
