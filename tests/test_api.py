"""The Python API (benchit.api): PyTorch and Keras models, scripts, overrides, errors, pandas.

Everything runs for real (compose, hooks, worker, export, ONNX Runtime) into a temp cache; the
quick tests check the public surface, the option mapping, errors that stop a run before any work,
and the result objects.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

import benchit
import benchit as benchit_api  # the `benchit` fixture (the CLI) shadows the name in some tests
from benchit import api
from benchit.config.overrides import OPTION_KEYS
from helpers import EXAMPLES, HAS_GPU, REPO, build_dir, model_hash, require
from helpers import state as read_state
from helpers import stats as read_stats
from helpers import QUICK as FAST  # short measurements: these tests check plumbing, not numbers


@pytest.fixture(autouse=True)
def _temp_cache(tmp_path, monkeypatch):
    """Never the user's cache: the default cache of every call here is a temp folder."""
    monkeypatch.setenv("BENCHIT_CACHE_DIR", str(tmp_path / "default_cache"))


# ------------------------------------------------------------------------------ public surface
def test_all_is_the_public_surface():
    for name in benchit.__all__:
        assert getattr(benchit, name) is not None, name
    assert dir(benchit) == sorted(benchit.__all__)
    assert set(api.__all__) <= set(benchit.__all__)
    public_in_api = {n for n, v in vars(api).items() if not n.startswith("_") and getattr(v, "__module__", "") in
                     ("benchit.api", "benchit.results")}
    assert public_in_api == set(api.__all__), "a public name of benchit.api is missing from __all__"
    with pytest.raises(AttributeError):
        benchit.not_a_name  # noqa: B018
    assert issubclass(benchit.ConfigError, benchit.BenchitError)
    assert issubclass(benchit.RunFailed, benchit.BenchitError)


def test_import_benchit_is_light():
    code = "import sys, benchit; benchit.__all__; print(sorted(m for m in ('torch', 'hydra', 'tensorflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------ options and config
def test_keywords_become_overrides(tmp_path):
    overrides = api._to_overrides({"device": "nvidia", "sequence": "export_only", "max_depth": 1,
                                   "lean_cache": True, "hashes": "479b1332", "script_args": "--dim 64",
                                   "cache_dir": tmp_path / "c", "threads": None})
    assert overrides == ["device=nvidia", "sequence=export_only", "max_depth=1", "cache.lean=true",
                         "input.hashes=['479b1332']", "input.script_args='--dim 64'",
                         f"cache.dir='{tmp_path / 'c'}'"]


def test_compose_config_keywords_and_strings_agree(tmp_path):
    by_keyword = benchit.compose_config(api._to_overrides({"sequence": "export_only", "max_depth": 1,
                                                           "cache_dir": tmp_path, "mode": "build"}))
    by_string = benchit.compose_config(["sequence=export_only", "max_depth=1", f"cache.dir={tmp_path}",
                                        "mode=build"])
    assert by_keyword == by_string
    assert by_string.sequence.name == "export_only" and by_string.max_depth == 1
    assert by_string.mode.value == "build" and by_string.cache.dir == str(tmp_path)


def test_unknown_device_is_the_cli_message(tmp_path):
    with pytest.raises(benchit.ConfigError) as caught:
        benchit.benchmark_script(EXAMPLES / "hello_world.py", device="tpu")
    assert str(caught.value).startswith("unknown device 'tpu' (available: nvidia, x86")
    from benchit.cli import check_group_options  # what `benchit device=tpu` prints after "benchit: error: "

    assert str(caught.value) == check_group_options(["device=tpu"])
    with pytest.raises(benchit.ConfigError, match="unknown device 'tpu'"):
        benchit.compose_config(["device=tpu"])


def test_unknown_option_and_key(tmp_path):
    with pytest.raises(benchit.ConfigError, match=r"unknown option devise= \(use one of: input, device"):
        benchit.benchmark_script(EXAMPLES / "hello_world.py", devise="x86")
    with pytest.raises(benchit.ConfigError, match="min_secs"):
        benchit.benchmark_script(EXAMPLES / "hello_world.py", overrides=["device.measurement.min_secs=2"])
    with pytest.raises(benchit.ConfigError, match="experiments are sweeps"):
        benchit.benchmark_script(EXAMPLES / "hello_world.py", experiment="fp32_vs_fp16")


def test_missing_script(tmp_path):
    with pytest.raises(benchit.ConfigError) as caught:
        benchit.benchmark_script(tmp_path / "nope.py", cache_dir=tmp_path / "cache")
    assert str(caught.value) == (f"script not found: {tmp_path / 'nope.py'} (give a path to a .py file, "
                                 "or input=<name> for a shipped example)")
    assert caught.value.results == []


def test_unavailable_device_or_runtime(tmp_path):
    """Checked before the model is called or the script runs, as the CLI does (`device=x86: ...`)."""
    called = []
    with pytest.raises(benchit.ConfigError) as caught:
        benchit.benchmark_model(lambda x: called.append(x), (1,), runtime="trt", cache_dir=tmp_path)
    assert str(caught.value) == ("device=x86: device x86 has no runtime 'trt' "
                                 "(available: ort, torch, torch_compile, openvino)")
    assert not called
    if not HAS_GPU:
        with pytest.raises(benchit.ConfigError, match=r"^device=nvidia: no NVIDIA GPU found"):
            benchit.benchmark_script(EXAMPLES / "hello_world.py", device="nvidia", cache_dir=tmp_path)


def test_not_a_model():
    with pytest.raises(benchit.ConfigError, match="is not a PyTorch nn.Module or a Keras Model"):
        benchit.benchmark_model(lambda x: x + 1, (1,))


# ------------------------------------------------------------------------------ result objects
def _result(**changes) -> benchit.ModelResult:
    fields = dict(script="s.py", name="pytorch_model", model_class="SmallModel", model_type="Pytorch (torch.nn.Module)",
                  params=55, hash="479b1332", depth=0, invocation=1, build_name="s_479b1332",
                  inputs={"x": {"shape": [10], "dtype": "float32"}}, calls=1, status="benchmarked",
                  validation={"export_pytorch": {"max_abs_error": 1e-8, "ok": True}},
                  benchmark={"device": "x86", "device_name": "CPU", "runtime": "ort", "mean_ms": 0.004,
                             "median_ms": 0.0039, "p90_ms": 0.0041, "p99_ms": 0.005, "throughput_ips": 250000.0,
                             "versions": {"torch": "2"}})
    fields.update(changes)
    return benchit.ModelResult(**fields)


def test_results_print_and_convert():
    good, bad = _result(), _result(name="other", status="failed", benchmark={}, message="export_pytorch failed: X")
    results = benchit.Results([good, bad])
    assert str(good) == ("pytorch_model (SmallModel, 479b1332, invocation 1): benchmarked on CPU [x86/ort]: "
                         "mean 0.004 ms, median 0.0039 ms, p99 0.005 ms, 250000.0 IPS")
    assert str(bad).endswith("failed: export_pytorch failed: X")
    assert repr(good) == ("ModelResult(name='pytorch_model', hash='479b1332', invocation=1, status='benchmarked', "
                          "mean_ms=0.004)")
    assert str(results).splitlines() == [str(good), str(bad)]
    assert results.failed == [bad] and not bad.ok and good.mean_ms == 0.004 and good.throughput == 250000.0
    assert good.to_dict()["benchmark"]["versions"] == {"torch": "2"}
    frame = results.to_frame()
    assert list(frame["name"]) == ["pytorch_model", "other"]
    assert frame.loc[0, "mean_ms"] == 0.004 and frame.loc[0, "export_pytorch_max_abs_error"] == 1e-8
    assert "versions" not in frame.columns  # nested dicts stay in to_dict()
    assert benchit.results_frame(results).equals(frame)
    row = good.to_series()
    assert row.name == "s_479b1332" and row["p99_ms"] == 0.005 and row["inputs"] == str(good.inputs)


# ------------------------------------------------------------------------------ end to end
def _small_model(in_features=10, out_features=5):
    import torch

    class SmallModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(in_features, out_features)

        def forward(self, x):
            return self.fc(x)

    torch.manual_seed(0)
    return SmallModel()


def test_benchmark_model_pytorch(tmp_path):
    """The API smoke of the fast tier: a model in, a measured result and its build out, then reused."""
    import torch

    net = _small_model()
    cache = tmp_path / "cache"
    results = benchit.benchmark_model(net, (torch.rand(1, 10),), sequence="export_only", cache_dir=cache,
                                      overrides=FAST)
    assert len(results) == 1
    (result,) = results
    assert result.status == "benchmarked", result.message
    assert result.name == "net" and result.model_class == "SmallModel" and result.params == 55
    assert result.hash == model_hash(net)
    assert result.build_name == f"test_api_{result.hash}"
    assert result.inputs == {"x": {"shape": [1, 10], "dtype": "float32"}}
    bench = result.benchmark
    for key in ("mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "throughput_ips"):
        assert isinstance(bench[key], float) and math.isfinite(bench[key]), (key, bench[key])  # never NaN or inf
    assert 0 < bench["min_ms"] <= bench["median_ms"] <= bench["p90_ms"] <= bench["p99_ms"] <= bench["max_ms"]
    assert bench["min_ms"] <= bench["mean_ms"] <= bench["max_ms"] and bench["std_ms"] >= 0
    assert bench["cv"] == pytest.approx(bench["std_ms"] / bench["mean_ms"])
    assert bench["throughput_ips"] == pytest.approx(1000.0 / bench["mean_ms"])
    assert result.benchmark["device"] == "x86" and result.benchmark["runtime"] == "ort"
    assert result.validation["export_pytorch"]["ok"]
    stats = read_stats(cache, result.build_name)
    assert stats["benchmarks"]["x86/ort"]["latency"]["mean_ms"] == result.mean_ms
    assert (results.output_dir / "result.json").is_file() and results.output_dir.parent.parent == cache
    frame = results.to_frame()
    assert frame.loc[0, "mean_ms"] == result.mean_ms and frame.loc[0, "status"] == "benchmarked"

    # The same model again (its inputs given by name): the build is reused from the cache, measured anew.
    (again,) = benchit.benchmark_model(net, {"x": torch.rand(1, 10)}, sequence="export_only", cache_dir=cache,
                                       overrides=FAST)
    assert again.status == "benchmarked" and again.from_cache is True and again.build_name == result.build_name
    assert not result.from_cache
    # `name` names the model and its build folder: a build of its own, not a reuse of the other
    (named,) = benchit.benchmark_model(net, (torch.rand(1, 10),), name="small", sequence="export_only",
                                       cache_dir=cache, overrides=FAST)
    assert named.name == "small" and named.build_name == f"small_{result.hash}" and named.from_cache is False
    assert build_dir(cache, named.build_name).is_dir()


@pytest.mark.slow
def test_benchmark_model_keras(tmp_path):
    require("tensorflow", "Keras models need the tensorflow extra: pip install 'benchit[tensorflow]'")
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(5)])
    results = benchit.benchmark_model(model, np.ones((1, 10), dtype="float32"), sequence="export_only",
                                      cache_dir=tmp_path / "cache", overrides=FAST)
    (result,) = results
    assert result.status == "benchmarked", result.message
    assert result.model_type.startswith("Keras") and result.params == 55
    assert "export_keras" in result.validation
    assert result.mean_ms > 0


@pytest.mark.slow
def test_build_model_builds_without_benchmark(tmp_path):
    import torch

    cache = tmp_path / "cache"
    (result,) = benchit.build_model(_small_model(), torch.rand(2, 10), cache_dir=cache)  # default sequence
    assert result.status == "built" and result.benchmark == {}
    assert result.build_name.startswith("test_api_")  # the caller's file, not benchit's
    state = read_state(cache, result.build_name)
    assert state["build_status"] == "successful"
    assert state["sequence"] == ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]


@pytest.mark.slow
def test_user_stage_from_config_dir(tmp_path):
    import torch

    cache = tmp_path / "cache"
    (result,) = benchit.build_model(_small_model(), torch.rand(1, 10), cache_dir=cache, sequence="with_user_stage",
                                    config_dir=REPO / "examples" / "cli" / "extras" / "my_conf")
    assert result.status == "built", result.message
    state = read_state(cache, result.build_name)
    assert state["sequence"] == ["export_pytorch", "count_nodes", "set_success"]


@pytest.mark.slow
def test_model_that_cannot_export(tmp_path):
    import torch

    class Svd(torch.nn.Module):
        def forward(self, x):
            return torch.linalg.svd(x)[0]

    with pytest.raises(benchit.RunFailed) as caught:
        benchit.benchmark_model(Svd(), torch.rand(3, 3), sequence="export_only", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith("svd (") and "export_pytorch failed: ExportError: no exporter could export" in message
    (failed,) = caught.value.results
    assert failed.status == "failed" and failed.message in message
    log = message.rsplit("(log: ", 1)[1].rstrip(")")
    assert os.path.isfile(log)

    # raise_on_failure=False: the same outcome as a result
    (result,) = benchit.benchmark_model(Svd(), torch.rand(3, 3), sequence="export_only",
                                        cache_dir=tmp_path / "cache", raise_on_failure=False)
    assert result.status == "failed" and result.message.startswith("export_pytorch failed")


@pytest.mark.slow
def test_benchmark_script_overrides_both_ways(tmp_path):
    cache = tmp_path / "cache"
    by_keyword = benchit.benchmark_script(EXAMPLES / "two_models.py", hashes="215ca1e3", sequence="export_only",
                                          cache_dir=cache, overrides=FAST)
    assert [(r.name, r.hash, r.status) for r in by_keyword] == [
        ("pytorch_model", "479b1332", "analyzed"), ("another_pytorch_model", "215ca1e3", "benchmarked")]
    assert by_keyword[1].params == 510 and by_keyword[1].mean_ms > 0
    assert "Models discovered during profiling:" in by_keyword.tree and "Hash:\t\t215ca1e3" in by_keyword.tree
    assert (by_keyword.output_dir / "results.json").is_file()

    by_string = benchit.benchmark_script(EXAMPLES / "two_models.py", cache_dir=cache,
                                         overrides=["input.hashes=[215ca1e3]", "sequence=export_only", *FAST])
    assert [(r.hash, r.status) for r in by_string] == [(r.hash, r.status) for r in by_keyword]
    assert by_string[1].from_cache  # the same build, reused
    frame = benchit.results_frame(by_string)
    assert list(frame["status"]) == ["analyzed", "benchmarked"] and frame["mean_ms"].notna().sum() == 1


@pytest.mark.slow
def test_benchmark_script_from_config_and_max_depth(tmp_path):
    results = benchit.benchmark_script(input="max_depth", max_depth=1, mode="analyze", cache_dir=tmp_path / "cache")
    assert [(r.name, r.hash, r.depth) for r in results] == [
        ("pytorch_model", "80b93950", 0), ("fc", "6d5eb4ee", 1), ("fc2", "d4b2ffa7", 1)]
    assert {r.status for r in results} == {"analyzed"}


@pytest.mark.slow
def test_failing_script_raises_with_the_cli_line(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import torch\nm = torch.nn.Linear(4, 2)\nm(torch.ones(1, 4))\nraise ValueError('boom')\n")
    with pytest.raises(benchit.RunFailed) as caught:
        benchit.benchmark_script(script, mode="analyze", cache_dir=tmp_path / "cache")
    assert str(caught.value).startswith("broken.py: the script raised: ValueError: boom (")
    assert [r.hash for r in caught.value.results] and caught.value.results[0].status == "analyzed"
    results = benchit.benchmark_script(script, mode="analyze", cache_dir=tmp_path / "cache", raise_on_failure=False)
    assert len(results) == 1


@pytest.mark.slow
def test_messages_match_the_cli(tmp_path, benchit):
    """The same one line as `benchit: error: ...` from the command line."""
    for args, call in (
        (["nope.py"], lambda: benchit_api.benchmark_script(tmp_path / "nope.py")),
        (["device.measurement.min_secs=2"], lambda: benchit_api.benchmark_script(
            EXAMPLES / "hello_world.py", overrides=["device.measurement.min_secs=2"])),
        (["device.runtime=trt"], lambda: benchit_api.benchmark_script(EXAMPLES / "hello_world.py", runtime="trt")),
    ):
        cli = benchit(*args)
        assert cli.returncode != 0
        with pytest.raises(benchit_api.ConfigError) as caught:
            call()
        assert cli.stderr.strip().splitlines()[-1] == f"benchit: error: {caught.value}"


def test_docs_list_every_keyword_and_name():
    text = (REPO / "docs" / "python-api.md").read_text(encoding="utf-8")
    for keyword, key in OPTION_KEYS.items():
        assert f"`{keyword}`" in text, f"docs/python-api.md does not list the keyword {keyword}"
    for name in api.__all__:
        assert f"`{name}" in text, f"docs/python-api.md does not mention {name}"



@pytest.mark.slow
def test_cache_that_cannot_be_written(tmp_path):
    """An OSError is the CLI's one line (what failed, where, what to do), never a bare traceback."""
    import torch

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    # found before any work: the run cannot start (the CLI's exit code 2)
    with pytest.raises(benchit.ConfigError) as caught:
        benchit.benchmark_model(_small_model(), torch.rand(1, 10), cache_dir=blocker / "cache", mode="build")
    assert "Not a directory" in str(caught.value) and str(blocker) in str(caught.value)
    with pytest.raises(benchit.ConfigError, match="Not a directory"):
        benchit.benchmark_script(EXAMPLES / "hello_world.py", cache_dir=blocker / "cache", mode="analyze")
