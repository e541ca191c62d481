"""Builds through the real `benchit` command: sequences, sequence file, user stages, reuse, lean
cache, failures and strict validation. A killed build and concurrent builds are faults: tests/faults."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import EXAMPLES, HELLO, QUICK, REPO, build_dir, require, results, state

pytestmark = pytest.mark.slow

DATA = REPO / "tests" / "data" / "build"
CHATTER = ("torchvision", "[torch.onnx]", "TracerWarning", "FutureWarning", "DeprecationWarning")


def records(result: dict) -> list[dict]:
    return [inv for script in result["scripts"] for m in script["models"] for inv in m["invocations"]]


def no_chatter(proc):
    for word in CHATTER:
        assert word not in proc.stdout + proc.stderr, f"{word!r} reached the console"


def test_every_shipped_sequence_in_one_sweep(benchit, hello_cache, cache_dir):
    proc = benchit("-m", "sequence=default,export_only,optimize_fp32", *QUICK, check=True)
    no_chatter(proc)
    jobs = sorted((cache_dir / "sweeps").glob("*/[0-9]*/results.json"))
    assert len(jobs) == 3
    finals = {}
    for job in jobs:
        data = json.loads(job.read_text())
        (record,) = records(data)
        assert record["status"] == "benchmarked", record
        finals[data["config"]["sequence"]["name"]] = record["benchmark"]["onnx_file"]
    assert finals == {"default": f"onnx/{HELLO}-fp16.onnx", "export_only": f"onnx/{HELLO}.onnx",
                      "optimize_fp32": f"onnx/{HELLO}-opt.onnx"}
    last = state(cache_dir)
    assert last["sequence"] == ["export_pytorch", "optimize_onnx", "set_success"]
    assert last["config"]["sequence_name"] == "optimize_fp32"


def test_sequence_file_as_in_the_tutorial(benchit, cache_dir):
    cwd = REPO / "examples" / "cli"
    proc = benchit("benchmark", "scripts/hello_world.py", "--sequence-file", "extras/example_sequence.py",
                   "--build-only", cwd=cwd, check=True)
    assert "Model successfully built!" in proc.stdout and "Mean Latency" not in proc.stdout
    no_chatter(proc)
    s = state(cache_dir)
    assert s["sequence"] == ["export_pytorch", "set_success"] == s["config"]["sequence"]
    assert s["build_status"] == "successful" and s["onnx_file"] == f"onnx/{HELLO}.onnx"
    stats = benchit("cache", "stats", HELLO, check=True)
    assert re.search(r"sequence:\n\s*- export_pytorch\n\s*- set_success\n", stats.stdout), stats.stdout


def test_user_stage_from_config_dir(benchit, cache_dir, tmp_path):
    # run from a folder that is not the config dir: the stage module is found through --config-dir
    my_conf = REPO / "examples" / "cli" / "extras" / "my_conf"
    proc = benchit("--config-dir", str(my_conf), "sequence=with_user_stage", "mode=build", check=True)
    assert "Model successfully built!" in proc.stdout
    s = state(cache_dir)
    assert s["sequence"] == ["export_pytorch", "count_nodes", "set_success"]
    import onnx

    model = onnx.load(str(build_dir(cache_dir) / s["onnx_file"]))
    assert s["facts"]["node_count"] == sum(n.op_type == "MatMul" for n in model.graph.node) > 0
    assert (build_dir(cache_dir) / "log_count_nodes.txt").read_text().startswith(
        f"{s['facts']['node_count']} MatMul nodes")


def test_reuse_then_policies(benchit, cache_dir):
    first = records(results(benchit("input=hello_world", "mode=build", check=True)))[0]
    onnx_file = build_dir(cache_dir) / state(cache_dir)["onnx_file"]
    written = (onnx_file.stat().st_mtime_ns, state(cache_dir)["timestamp"])
    second_proc = benchit("input=hello_world", "mode=build", check=True)
    second = records(results(second_proc))[0]
    assert not first["from_cache"] and first["rebuild_reason"] == "not in the cache"
    assert second["from_cache"] and "(from cache)" in second_proc.stdout
    assert (onnx_file.stat().st_mtime_ns, state(cache_dir)["timestamp"]) == written, "a reuse rewrote the build"
    always = records(results(benchit("input=hello_world", "mode=build", "cache.rebuild=always", check=True)))[0]
    assert not always["from_cache"] and always["rebuild_reason"] == "cache.rebuild=always"
    # the tutorial flag: `never` reuses this build config, and fails for one the cache does not hold
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--rebuild", "never", "--build-only", check=True)
    assert records(results(proc))[0]["from_cache"]
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--rebuild", "never", "--sequence", "export_only",
                   "--build-only")
    assert proc.returncode == 1 and "no usable build in the cache" in proc.stdout


def test_lean_cache_then_rerun(benchit, hello_cache, cache_dir):
    folder = build_dir(cache_dir)
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--lean-cache", *QUICK, check=True)
    assert "Model successfully benchmarked" in proc.stdout
    s = state(cache_dir)
    assert s["lean"] is True and s["onnx_file"] is None and s["build_status"] == "successful"
    assert not (folder / "onnx").exists() and not (folder / "inputs.npz").exists()
    assert all((folder / a).exists() for a in s["artifacts"]), "the state claims a deleted file"
    assert {f"onnx/{HELLO}.onnx", "inputs.npz"} <= set(s["lean_deleted"])
    assert sorted(p.name for p in folder.glob("log_*.txt")) == [
        "log_export_pytorch.txt", "log_fp16_conversion.txt", "log_optimize_onnx.txt", "log_set_success.txt"]
    # a later run that needs the files rebuilds them: never a cache hit on deleted files
    rerun = records(results(benchit(str(EXAMPLES / "hello_world.py"), *QUICK, check=True)))[0]
    assert not rerun["from_cache"] and "lean" in rerun["rebuild_reason"]
    s = state(cache_dir)
    assert s["lean"] is False and (folder / s["onnx_file"]).is_file()


def test_failed_export_is_one_line_and_the_rest_carries_on(benchit, cache_dir):
    proc = benchit(f"input.script={DATA / 'scripts' / 'failures.py'}")
    assert proc.returncode != 0
    no_chatter(proc)
    lines = [line.strip() for line in proc.stdout.splitlines() if "export_pytorch failed" in line]
    assert len(lines) == 1
    match = re.fullmatch(r"Status:\s+export_pytorch failed: (.+) \(log: (\S+)\)", lines[0])
    assert match and "linalg_svd" in match.group(1), lines[0]
    assert "Traceback" in Path(match.group(2)).read_text()
    assert "Model successfully benchmarked" in proc.stdout  # the other model of the script
    assert "good: torch.Size([2, 3])" in proc.stdout  # and the script's own output


def test_fp16_failure_and_strict_validation(benchit, cache_dir):
    # onnxconverter-common made to write an invalid float16 model (tests/data/build/conf/broken_fp16.py)
    proc = benchit("--config-dir", str(DATA / "conf"), "sequence=fp16_broken", "input=hello_world", *QUICK,
                   check=True)
    # no valid float16 model: the float32 file is benchmarked, and the tree, the state and the report say so
    assert "Model successfully benchmarked" in proc.stdout
    (line,) = [line.strip() for line in proc.stdout.splitlines() if "fp16 not possible" in line]
    assert line.startswith("Warning:") and "Type Error" in line and "the float32 file is the build's model" in line
    broken = state(cache_dir)
    assert broken["build_status"] == "successful" and broken["facts"]["fp16"].startswith("not possible: ")
    assert "Traceback" not in proc.stdout
    no_chatter(proc)
    # converter=auto falls back to ONNX Runtime's converter, says so in the stage's log and in the state
    rescued = benchit("--config-dir", str(DATA / "conf"), "sequence=fp16_rescued", "input=hello_world", *QUICK,
                      check=True)
    assert "Model successfully benchmarked" in rescued.stdout
    log = (build_dir(cache_dir) / "log_fp16_conversion.txt").read_text()
    assert "converting with onnxruntime.transformers.float16" in log
    after = state(cache_dir)
    facts = after["facts"]
    assert facts["fp16_converter"] == "onnxruntime" and "Type Error" in facts["fp16_converter_fallback_reason"]
    # a tolerance float16 cannot meet: a warning, and with build.strict=true a failure
    warn = benchit("input=hello_world", "mode=build", "sequence.stages.fp16.tolerance=1e-9", check=True)
    assert re.search(r"Warning:\s+fp16_conversion changed outputs by \d\.\de-\d+ \(tolerance 1e-9\)", warn.stdout)
    strict = benchit("input=hello_world", "mode=build", "sequence.stages.fp16.tolerance=1e-9", "build.strict=true")
    assert strict.returncode != 0
    assert re.search(r"Status:\s+fp16_conversion failed: .*build\.strict=true \(log: ", strict.stdout)


@pytest.mark.tensorflow
def test_keras_models_build_and_benchmark(benchit, cache_dir):
    require("tf2onnx", "the tensorflow extra")
    proc = benchit(f"input.script={DATA / 'scripts' / 'keras_models.py'}", check=True)
    assert proc.stdout.count("Model successfully benchmarked") == 2, proc.stdout
    assert "tf2onnx" not in proc.stdout + proc.stderr
    builds = sorted(p.name for p in cache_dir.glob("keras_models_*"))
    assert len(builds) == 2
    for name in builds:
        s = state(cache_dir, name)
        assert s["sequence"] == ["export_keras", "optimize_onnx", "fp16_conversion", "set_success"]
        assert s["facts"]["exporter"] == "tf2onnx" and s["build_status"] == "successful"
        assert s["validation"]["export_keras"]["max_abs_error"] < 1e-5
