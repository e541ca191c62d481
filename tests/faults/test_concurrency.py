"""Several benchit runs on one cache at once (2 and 4, same script and different scripts), and
`benchit cache delete --all` racing a run. Every run finishes, each build is made once (its model file whole)
and reused by the others, every benchmark is recorded, and the cache stays readable: no half-written YAML, no
temp file left. (The one place concurrent runs on one cache are tested.)"""

from __future__ import annotations

import time

import pytest
import yaml

from faultlib import (FAST, HELLO, HELLO_SCRIPT, PAUSED, TINY, Started, both_scripts, build_named, check_cache, env_for,
                      measuring, no_traceback, one_clear_line, records, state, stats, wait_for)
from helpers import build_dir

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scripts", [
    pytest.param([HELLO_SCRIPT, HELLO_SCRIPT], id="2-same"),
    pytest.param([HELLO_SCRIPT, TINY], id="2-different"),
    pytest.param([HELLO_SCRIPT, TINY, HELLO_SCRIPT, TINY], id="4-mixed"),
])
def test_concurrent_runs_on_one_cache(benchit, cache_dir, tmp_path, scripts):
    runs = [Started([f"input.script={script}", *FAST], tmp_path, env_for(cache_dir), name=f"run{n}")
            for n, script in enumerate(scripts)]
    procs = [run.wait(300) for run in runs]
    built: dict[str, list[bool]] = {}
    for proc in procs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        no_traceback(proc)
        for name, record in records(proc).items():
            assert record["status"] == "benchmarked", record
            built.setdefault(name, []).append(record["from_cache"])
    import onnxruntime as ort

    for name, reused in built.items():
        assert reused.count(False) == 1, f"{name} was built {reused.count(False)} times: {reused}"
        built_state = state(cache_dir, name)
        assert built_state["build_status"] == "successful"
        assert "x86/ort" in stats(cache_dir, name)["benchmarks"]
        # the model file one process wrote while the others waited is whole
        ort.InferenceSession(str(build_dir(cache_dir, name) / built_state["onnx_file"]),
                             providers=["CPUExecutionProvider"])
    # no half-written file: every YAML in the cache parses, no temp file is left
    for path in cache_dir.rglob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text()), (dict, list)), path
    assert not [p for p in cache_dir.rglob("*") if p.suffix == ".tmp" or ".tmp" in p.name], "a temp file was left"
    check_cache(benchit, cache_dir, tmp_path, benchmarked=list(built))
    proc = benchit(*both_scripts(*dict.fromkeys(scripts)), *FAST, check=True)
    assert all(record["from_cache"] for record in records(proc).values())


def test_cache_delete_all_racing_a_run(benchit, seeded_paused, tmp_path):
    cache = seeded_paused
    mark = tmp_path / "in_stage"
    args = [*PAUSED, *both_scripts(HELLO_SCRIPT, TINY)]
    run = Started(args, tmp_path, env_for(cache, BENCHIT_FAULT_STAGE="optimize_onnx", BENCHIT_FAULT_BUILD="tiny_",
                                          BENCHIT_FAULT_MARK=str(mark)))
    wait_for(mark.exists, "tiny's build to pause in optimize_onnx", run)
    tiny = build_named(cache, "tiny_")
    deleted = benchit("cache", "delete", "--all")
    assert deleted.returncode == 1  # one build was busy
    one_clear_line(deleted, rf"{tiny}(/\S+)?: another benchit process is using it")
    assert f"Deleted build {HELLO}" in deleted.stdout
    assert (cache / tiny).is_dir() and not (cache / HELLO).exists()
    mark.unlink()  # the build goes on
    proc = run.wait(180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    no_traceback(proc)
    assert records(proc)[tiny]["status"] == "benchmarked"
    check_cache(benchit, cache, tmp_path, benchmarked=[tiny])
    proc = benchit(*args, check=True)
    found = records(proc)
    assert found[HELLO]["from_cache"] is False and found[HELLO]["rebuild_reason"] == "not in the cache"
    assert found[tiny]["from_cache"] is True
    check_cache(benchit, cache, tmp_path, benchmarked=[HELLO, tiny])


def test_cache_delete_all_during_a_benchmark(benchit, seeded, tmp_path):
    slow = [a for a in FAST if "min_seconds" not in a] + ["device.measurement.min_seconds=8"]
    lock = tmp_path / "machine.lock"
    run = Started([f"input.script={TINY}", *slow], tmp_path, env_for(seeded, BENCHIT_MACHINE_LOCK=str(lock)))
    wait_for(lambda: measuring(lock), "tiny's measurement to start", run, timeout=180)  # the build is done
    deadline = time.monotonic() + 5
    while True:  # the benchmark runs for 8 s more; the build's own lock may take a moment to go
        deleted = benchit("cache", "delete", "--all")
        if deleted.returncode == 0 or time.monotonic() > deadline:
            break
        one_clear_line(deleted, r"another benchit process is using it")
        time.sleep(0.2)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert run.proc.poll() is None, "the benchmark ended before the delete: the race was not exercised"
    proc = run.wait(120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    no_traceback(proc)
    (record,) = records(proc).values()
    assert record["status"] == "benchmarked"  # the number is in the run's results
    # the deleted build did not come back as a folder with stats and no state (a broken entry)
    assert not [p for p in seeded.iterdir() if p.name.startswith(("tiny_", "hello_"))]
    rows = check_cache(benchit, seeded, tmp_path)
    assert not [r for r in rows if r["status"] == "broken"]
    proc = benchit(*both_scripts(HELLO_SCRIPT, TINY), *FAST, check=True)
    assert all(r["status"] == "benchmarked" and not r["from_cache"] for r in records(proc).values())
