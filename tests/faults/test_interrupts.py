"""Ctrl-C during analysis, during each build stage and during a benchmark; SIGKILL of the worker and of the
parent. Each run holds a finished build (hello_world) and a script (tiny) that the fault hits; afterwards the
finished result is still there, the cache commands and the report work, and the next run reuses hello_world and
rebuilds (or only benchmarks) tiny."""

from __future__ import annotations

import json
import os
import signal

import pytest

from faultlib import (FAST, HELLO, HELLO_SCRIPT, PAUSED, TINY, Started, both_scripts, build_finished, build_named,
                      check_cache, env_for, measuring, one_clear_line, pid_alive, records, state, stats_file, wait_for)

pytestmark = pytest.mark.slow

INTERRUPTED = r"^benchit: interrupted"


def _next_run(benchit, cache_dir, args, tmp_path, rebuild_reason: str | None):
    """The next run continues: hello_world reused, tiny rebuilt for `rebuild_reason` (None: reused)."""
    proc = benchit(*args, check=True)
    found = records(proc)
    tiny = build_named(cache_dir, "tiny_")
    assert found[HELLO]["from_cache"] is True and found[HELLO]["status"] == "benchmarked"
    assert found[tiny]["status"] == "benchmarked", found[tiny]
    if rebuild_reason is None:
        assert found[tiny]["from_cache"] is True
    else:
        assert found[tiny]["from_cache"] is False and found[tiny]["rebuild_reason"] == rebuild_reason
    check_cache(benchit, cache_dir, tmp_path, benchmarked=[HELLO, tiny])


def test_ctrl_c_during_analysis(benchit, seeded, tmp_path):
    mark = tmp_path / "in_script"
    args = [*both_scripts(HELLO_SCRIPT, TINY), *FAST]
    run = Started(args, tmp_path, env_for(seeded, BENCHIT_FAULT_SCRIPT_MARK=str(mark)))
    wait_for(mark.exists, "tiny.py to call its model", run)
    run.ctrl_c()
    proc = run.wait(60)
    assert proc.returncode == 130
    one_clear_line(proc, INTERRUPTED)
    assert not pid_alive(int(mark.read_text())), "the worker outlived the interrupt"
    assert not [p for p in seeded.iterdir() if p.name.startswith("tiny_")], "nothing was built for tiny yet"
    (results_file,) = (seeded / "runs").glob("*/results.json")  # the run's record of what finished before
    recorded = json.loads(results_file.read_text())
    assert recorded["status"] == "interrupted" and [s["status"] for s in recorded["scripts"]] == ["benchmarked"]
    assert recorded["scripts"][0]["models"][0]["invocations"][0]["status"] == "benchmarked"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])
    proc = benchit(*args, check=True)
    found = records(proc)
    assert found[HELLO]["from_cache"] is True
    tiny = build_named(seeded, "tiny_")
    assert found[tiny]["status"] == "benchmarked" and found[tiny]["rebuild_reason"] == "not in the cache"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])


@pytest.mark.parametrize("stage", ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"])
def test_ctrl_c_during_each_build_stage(benchit, seeded_paused, tmp_path, stage):
    mark = tmp_path / "in_stage"
    args = [*PAUSED, *both_scripts(HELLO_SCRIPT, TINY)]
    run = Started(args, tmp_path, env_for(seeded_paused, BENCHIT_FAULT_STAGE=stage, BENCHIT_FAULT_BUILD="tiny_",
                                          BENCHIT_FAULT_MARK=str(mark)))
    wait_for(mark.exists, f"tiny's build to pause in {stage}", run)
    tiny = build_named(seeded_paused, "tiny_")
    during = state(seeded_paused, tiny)
    assert during["build_status"] == "running" and during["current_stage"] == stage
    run.ctrl_c()
    proc = run.wait(60)
    assert proc.returncode == 130
    one_clear_line(proc, INTERRUPTED)
    assert not pid_alive(int(mark.read_text())), "the worker outlived the interrupt"
    assert state(seeded_paused, tiny)["build_status"] == "running", "an interrupted build never claims success"
    check_cache(benchit, seeded_paused, tmp_path, benchmarked=[HELLO])
    _next_run(benchit, seeded_paused, args, tmp_path, f"the previous build was interrupted during {stage}")


def test_ctrl_c_during_a_benchmark(benchit, seeded, tmp_path):
    # tiny alone, measured for a minute: interrupted during the measurement, once it holds the machine lock
    slow = [a for a in FAST if "min_seconds" not in a] + ["device.measurement.min_seconds=60",
                                                          "device.measurement.max_seconds=120"]
    lock = tmp_path / "machine.lock"
    run = Started([f"input.script={TINY}", *slow], tmp_path, env_for(seeded, BENCHIT_MACHINE_LOCK=str(lock)))
    wait_for(lambda: measuring(lock), "tiny's measurement to start", run, timeout=180)
    assert build_finished(seeded, "tiny_"), "a measurement before the build was finished"
    run.ctrl_c()
    proc = run.wait(60)
    assert proc.returncode == 130
    one_clear_line(proc, INTERRUPTED)
    tiny = build_named(seeded, "tiny_")
    assert not (stats := stats_file(seeded, tiny)).exists() or "benchmarks" not in stats.read_text()
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO], built=[tiny])
    _next_run(benchit, seeded, [*both_scripts(HELLO_SCRIPT, TINY), *FAST], tmp_path, None)


def test_sigkill_of_the_worker(benchit, seeded_paused, tmp_path):
    mark = tmp_path / "in_stage"
    args = [*PAUSED, *both_scripts(HELLO_SCRIPT, TINY)]
    run = Started(args, tmp_path, env_for(seeded_paused, BENCHIT_FAULT_STAGE="optimize_onnx",
                                          BENCHIT_FAULT_BUILD="tiny_", BENCHIT_FAULT_MARK=str(mark)))
    wait_for(mark.exists, "tiny's build to pause in optimize_onnx", run)
    tiny = build_named(seeded_paused, "tiny_")
    during = state(seeded_paused, tiny)
    assert during["build_status"] == "running" and during["current_stage"] == "optimize_onnx"
    assert during["completed_stages"] == ["export_pytorch"]
    os.kill(int(mark.read_text()), signal.SIGKILL)  # the worker process, mid-stage
    proc = run.wait(60)
    assert proc.returncode == 1
    one_clear_line(proc, r"Error: killed by signal 9")
    assert state(seeded_paused, tiny)["build_status"] == "running"  # what a killed process leaves: never success
    check_cache(benchit, seeded_paused, tmp_path, benchmarked=[HELLO])
    _next_run(benchit, seeded_paused, args, tmp_path, "the previous build was interrupted during optimize_onnx")
    after = state(seeded_paused, tiny)
    assert after["build_status"] == "successful"
    assert after["completed_stages"] == ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]


def test_sigkill_of_the_parent(benchit, seeded_paused, tmp_path):
    mark = tmp_path / "in_stage"
    args = [*PAUSED, *both_scripts(HELLO_SCRIPT, TINY)]
    run = Started(args, tmp_path, env_for(seeded_paused, BENCHIT_FAULT_STAGE="fp16_conversion",
                                          BENCHIT_FAULT_BUILD="tiny_", BENCHIT_FAULT_MARK=str(mark)))
    wait_for(mark.exists, "tiny's build to pause in fp16_conversion", run)
    worker = int(mark.read_text())
    os.kill(run.proc.pid, signal.SIGKILL)  # the parent only: nothing can print a line, the worker must not linger
    run.wait(60)
    wait_for(lambda: not pid_alive(worker), "the orphaned worker to end", timeout=30)
    check_cache(benchit, seeded_paused, tmp_path, benchmarked=[HELLO])
    _next_run(benchit, seeded_paused, args, tmp_path, "the previous build was interrupted during fp16_conversion")
