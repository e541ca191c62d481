"""Failures of the run itself: device=nvidia without a GPU inside a sweep, a sequence file that raises on
import, a stage that raises, a script that times out. Each is one clear line; the rest of the run (and the
results finished before) stay; the next run continues."""

from __future__ import annotations

import json

import pytest

from faultlib import (CONF, FAST, HELLO, HELLO_SCRIPT, QUICK, TINY, both_scripts, build_named, check_cache,
                      no_traceback, one_clear_line, pid_alive, records, state)
from helpers import HAS_GPU

pytestmark = pytest.mark.slow

@pytest.mark.skipif(HAS_GPU, reason="needs a machine without an NVIDIA GPU, so that the nvidia job fails")
def test_nvidia_without_a_gpu_inside_a_sweep(benchit, seeded, tmp_path):
    proc = benchit("-m", "device=x86,nvidia", f"input.script={TINY}", *FAST)
    assert proc.returncode == 1
    line = one_clear_line(proc, r"^benchit: error: device=nvidia: ")
    assert "GPU" in line
    jobs = {p.parent.name: json.loads(p.read_text()) for p in (seeded / "sweeps").glob("*/*/results.json")}
    assert sorted(job["status"] for job in jobs.values()) == ["failed", "ok"]
    tiny = build_named(seeded, "tiny_")
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])
    proc = benchit(f"input.script={TINY}", *FAST, check=True)
    assert records(proc)[tiny]["from_cache"] is True


@pytest.mark.parametrize("verbose", [False, True])
def test_sequence_file_that_raises_on_import(benchit, seeded, tmp_path, verbose):
    args = [*both_scripts(HELLO_SCRIPT, TINY), f"sequence.file={CONF / 'raising_sequence_file.py'}", *QUICK]
    proc = benchit(*args, *(["verbose=true"] if verbose else []))
    assert proc.returncode == 1
    if verbose:
        assert "Traceback" not in proc.stdout  # the tree stays clean; detail goes to stderr only when asked
    else:
        no_traceback(proc)
    line = one_clear_line(proc, r"raised: ImportError: this sequence file is broken on purpose")
    assert "raising_sequence_file.py" in line
    assert not [p for p in seeded.iterdir() if p.name.startswith("tiny_")], "nothing is built with a broken sequence"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])
    proc = benchit(*both_scripts(HELLO_SCRIPT, TINY), *FAST, check=True)
    assert records(proc)[HELLO]["from_cache"] is True


def test_stage_that_raises(benchit, seeded, tmp_path):
    args = ["--config-dir", str(CONF), "sequence=raising", *both_scripts(HELLO_SCRIPT, TINY), *QUICK]
    proc = benchit(*args, env={"BENCHIT_FAULT_RAISE": "1"})
    assert proc.returncode == 1
    line = one_clear_line(proc, r"raises failed: RuntimeError: this stage fails on purpose \(log: ")
    log = line.split("(log: ")[-1].strip().removesuffix(")")
    assert "Traceback" in open(log).read(), "the full detail is in the stage's log"
    tiny = build_named(seeded, "tiny_")
    failed = state(seeded, tiny)
    assert failed["build_status"] == "failed" and failed["failed_stage"] == "raises"
    rows = check_cache(benchit, seeded, tmp_path)
    assert {r["status"] for r in rows if r["build_name"] == tiny} == {"failed"}
    proc = benchit(*args, check=True)
    found = records(proc)
    assert found[tiny]["rebuild_reason"] == "the previous build failed in raises" and found[tiny]["status"] == "benchmarked"
    assert found[HELLO]["status"] == "benchmarked"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])


def test_script_that_times_out(benchit, seeded, tmp_path):
    mark = tmp_path / "in_script"
    args = [*both_scripts(HELLO_SCRIPT, TINY), *FAST]
    proc = benchit(*args, "timeout=25", env={"BENCHIT_FAULT_SCRIPT_MARK": str(mark)})
    assert proc.returncode == 1
    one_clear_line(proc, r"Error: timed out after 25 s \(raise it with timeout=SECONDS\)")
    assert not pid_alive(int(mark.read_text())), "the timed-out worker is still running"
    found = records(proc)
    assert found[HELLO]["status"] == "benchmarked", "the script finished before the timeout keeps its result"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])
    proc = benchit(*args, check=True)
    found = records(proc)
    tiny = build_named(seeded, "tiny_")
    assert found[HELLO]["from_cache"] is True and found[tiny]["status"] == "benchmarked"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])
