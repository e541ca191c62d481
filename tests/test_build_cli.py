"""Builds through the real `benchit` command: sequences, sequence file, user stages, reuse, lean
cache, a killed build, concurrent builds, failures and strict validation."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from repo_paths import EXAMPLES, REPO

pytestmark = pytest.mark.slow

DATA = REPO / "tests" / "data" / "build"
HELLO = "hello_world_479b1332"
CHATTER = ("torchvision", "[torch.onnx]", "TracerWarning", "FutureWarning", "DeprecationWarning")


def state(cache_dir: Path, name: str = HELLO) -> dict:
    return yaml.safe_load((cache_dir / name / f"{name}_state.yaml").read_text())


def results(proc) -> dict:
    folder = re.search(r"Results: (\S+)", proc.stdout).group(1)
    return json.loads((Path(folder) / "results.json").read_text())


def records(result: dict) -> list[dict]:
    return [inv for script in result["scripts"] for m in script["models"] for inv in m["invocations"]]


def no_chatter(proc):
    for word in CHATTER:
        assert word not in proc.stdout + proc.stderr, f"{word!r} reached the console"


def test_every_shipped_sequence_in_one_sweep(benchit, cache_dir):
    proc = benchit("-m", "sequence=default,export_only,optimize_fp32", check=True)
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

    model = onnx.load(str(cache_dir / HELLO / s["onnx_file"]))
    assert s["node_count"] == sum(n.op_type == "MatMul" for n in model.graph.node) > 0
    assert (cache_dir / HELLO / "log_count_nodes.txt").read_text().startswith(f"{s['node_count']} MatMul nodes")


def test_reuse_then_policies(benchit, cache_dir):
    first = records(results(benchit("input=hello_world", "mode=build", check=True)))[0]
    second_proc = benchit("input=hello_world", "mode=build", check=True)
    second = records(results(second_proc))[0]
    assert not first["from_cache"] and first["rebuild_reason"] == "not in the cache"
    assert second["from_cache"] and "(from cache)" in second_proc.stdout
    assert second["build_seconds"] < first["build_seconds"]
    always = records(results(benchit("input=hello_world", "mode=build", "cache.rebuild=always", check=True)))[0]
    assert not always["from_cache"] and always["rebuild_reason"] == "cache.rebuild=always"
    # the tutorial flag; a different sequence with `never` reuses what is there
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--rebuild", "never", "--sequence", "export_only",
                   "--build-only", check=True)
    never = records(results(proc))[0]
    assert never["from_cache"] and "another configuration" in proc.stdout


def test_lean_cache_then_rerun(benchit, cache_dir):
    build_dir = cache_dir / HELLO
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--lean-cache", check=True)
    assert "Model successfully benchmarked" in proc.stdout
    s = state(cache_dir)
    assert s["lean"] is True and s["onnx_file"] is None and s["build_status"] == "successful"
    assert not (build_dir / "onnx").exists() and not (build_dir / "inputs.npz").exists()
    assert all((build_dir / a).exists() for a in s["artifacts"]), "the state claims a deleted file"
    assert {f"onnx/{HELLO}.onnx", "inputs.npz"} <= set(s["lean_deleted"])
    assert sorted(p.name for p in build_dir.glob("log_*.txt")) == [
        "log_export_pytorch.txt", "log_fp16_conversion.txt", "log_optimize_onnx.txt", "log_set_success.txt"]
    # a later run that needs the files rebuilds them: never a cache hit on deleted files
    rerun = records(results(benchit(str(EXAMPLES / "hello_world.py"), check=True)))[0]
    assert not rerun["from_cache"] and "lean" in rerun["rebuild_reason"]
    s = state(cache_dir)
    assert s["lean"] is False and (build_dir / s["onnx_file"]).is_file()


def test_killed_build_is_seen_as_interrupted_and_rebuilt(benchit, cache_dir, tmp_path):
    marker = tmp_path / "paused"
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir), "BENCHIT_TEST_PAUSE": str(marker)}
    env.pop("HYDRA_FULL_ERROR", None)
    args = ["--config-dir", str(DATA / "conf"), "sequence=pausing", "mode=build"]
    parent = subprocess.Popen([sys.executable, "-m", "benchit", *args], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert parent.poll() is None, parent.stdout.read()
            assert time.monotonic() < deadline, "the build never reached the pause stage"
            time.sleep(0.2)
        during = state(cache_dir)
        assert during["build_status"] == "running" and during["current_stage"] == "pause"
        assert during["completed_stages"] == ["export_pytorch"]
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the worker process, mid-stage
        out, _ = parent.communicate(timeout=60)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert "killed by signal 9" in out
    assert state(cache_dir)["build_status"] == "running"  # what a killed process leaves
    proc = benchit(*args, check=True)
    record = records(results(proc))[0]
    assert not record["from_cache"]
    assert record["rebuild_reason"] == "the previous build was interrupted during pause"
    after = state(cache_dir)
    assert after["build_status"] == "successful"
    assert after["completed_stages"] == ["export_pytorch", "pause", "optimize_onnx", "set_success"]


def test_two_processes_building_the_same_model(cache_dir, tmp_path):
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir)}
    env.pop("HYDRA_FULL_ERROR", None)
    procs = [subprocess.Popen([sys.executable, "-m", "benchit", "input=hello_world", "mode=build"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    reused = []
    for out, _ in outs:
        folder = Path(re.search(r"Results: (\S+)", out).group(1))
        reused.append(records(json.loads((folder / "results.json").read_text()))[0]["from_cache"])
    assert sorted(reused) == [False, True], "exactly one process builds; the other waits and reuses it"
    s = state(cache_dir)
    assert s["build_status"] == "successful"
    import onnxruntime as ort

    ort.InferenceSession(str(cache_dir / HELLO / s["onnx_file"]), providers=["CPUExecutionProvider"])


def test_failed_export_is_one_line_and_the_rest_carries_on(benchit, cache_dir):
    proc = benchit(f"input.script={DATA / 'scripts' / 'failures.py'}")
    assert proc.returncode != 0
    no_chatter(proc)
    lines = [line.strip() for line in proc.stdout.splitlines() if "export_pytorch failed" in line]
    assert len(lines) == 1
    match = re.fullmatch(r"Status:\s+export_pytorch failed: (.+); log: (\S+)", lines[0])
    assert match and "linalg_svd" in match.group(1), lines[0]
    assert "Traceback" in Path(match.group(2)).read_text()
    assert "Model successfully benchmarked" in proc.stdout  # the other model of the script
    assert "good: torch.Size([2, 3])" in proc.stdout  # and the script's own output


def test_fp16_failure_and_strict_validation(benchit, cache_dir):
    script = DATA / "scripts" / "transformer.py"
    proc = benchit("--config-dir", str(DATA / "conf"), "sequence=fp16_unoptimized", f"input.script={script}")
    assert proc.returncode != 0
    assert re.search(r"Status:\s+fp16_conversion failed: .+; log: \S+log_fp16_conversion.txt", proc.stdout)
    no_chatter(proc)
    # a tolerance float16 cannot meet: a warning, and with build.strict=true a failure
    warn = benchit("input=hello_world", "mode=build", "++sequence.stages.2.tolerance=1e-9", check=True)
    assert re.search(r"Warning:\s+fp16_conversion changed outputs by \d\.\de-\d+ \(tolerance 1e-9\)", warn.stdout)
    strict = benchit("input=hello_world", "mode=build", "++sequence.stages.2.tolerance=1e-9", "build.strict=true")
    assert strict.returncode != 0
    assert re.search(r"Status:\s+fp16_conversion failed: .*build\.strict=true; log: ", strict.stdout)


@pytest.mark.tensorflow
def test_keras_models_build_and_benchmark(benchit, cache_dir):
    pytest.importorskip("tf2onnx")
    proc = benchit(f"input.script={DATA / 'scripts' / 'keras_models.py'}", check=True)
    assert proc.stdout.count("Model successfully benchmarked") == 2, proc.stdout
    assert "tf2onnx" not in proc.stdout + proc.stderr
    builds = sorted(p.name for p in cache_dir.glob("keras_models_*"))
    assert len(builds) == 2
    for name in builds:
        s = state(cache_dir, name)
        assert s["sequence"] == ["export_keras", "optimize_onnx", "fp16_conversion", "set_success"]
        assert s["exporter"] == "tf2onnx" and s["build_status"] == "successful"
        assert s["validation"]["export_keras"]["max_abs_error"] < 1e-5
