"""Hostile input: override values with shell metacharacters and spaces; a script path with spaces and unicode; a
script that changes directory, deletes its own file, forks, leaves threads running, prints megabytes and reads
stdin; processes that leave the process group. (Hostile build names for the cache commands: every one, with a
snapshot of the cache and of a decoy build outside it, in tests/test_cache_commands.py.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from faultlib import (FAST, HELLO, SCRIPTS, TINY, Started, build_named, check_cache, env_for, no_traceback,
                      one_clear_line, pid_alive, records, wait_for)

pytestmark = pytest.mark.slow


def test_override_values_with_shell_metacharacters(benchit, seeded, tmp_path):
    canary = tmp_path / "pwned"
    script = tmp_path / "echo_args.py"
    script.write_text("import sys, torch\nprint('ARGS', sys.argv[1:])\ntorch.nn.Linear(2, 2)(torch.ones(1, 2))\n")
    value = f"$(touch {canary}) `touch {canary}` ; touch {canary} | cat && echo 'two words' \"quoted\" *"
    hydra = benchit(f"input.script={script}", f"input.script_args={_hydra_quote(value)}", *FAST)
    tutorial = benchit("benchmark", str(script), "--script-args", value, *FAST)
    for proc in (hydra, tutorial):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        no_traceback(proc)
        line = one_clear_line(proc, r"^ARGS ")
        assert "$(touch" in line and "'two words'" in line and "'*'" in line, line
    assert not canary.exists(), "an override value reached a shell"
    # an override that is not valid Hydra syntax is one line, not a traceback
    bad = benchit(f"input.script={script}", "input.script_args=a b'c", *FAST)
    assert bad.returncode != 0
    one_clear_line(bad, r"^benchit: error: ")
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])


def _hydra_quote(value: str) -> str:
    from benchit.cli import hydra_quote

    return hydra_quote(value)


def test_script_path_with_spaces_and_unicode(benchit, seeded, tmp_path):
    folder = tmp_path / "my models ü"
    folder.mkdir()
    script = folder / "módèl ünï 🚀 (v2).py"
    shutil.copy(TINY, script)
    first = benchit("benchmark", str(script), *FAST)
    assert first.returncode == 0, first.stdout + first.stderr
    no_traceback(first)
    (name,) = records(first)
    assert name.isascii() and "/" not in name and " " not in name
    second = benchit(f"input.script={_hydra_quote(str(script))}", *FAST, check=True)
    assert records(second)[name]["from_cache"] is True
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, name])


def test_script_that_misbehaves_in_every_way(benchit, seeded, tmp_path):
    script = tmp_path / "hostile.py"
    shutil.copy(SCRIPTS / "hostile.py", script)
    # stdin left open and never written: the script's read must not hang the run
    script_args = "input.script_args=" + _hydra_quote("one 'two words'")
    run = Started([f"input.script={script}", script_args, "timeout=120", *FAST], tmp_path, env_for(seeded),
                  name="hostile", stdin=subprocess.PIPE)
    proc = run.wait(180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    no_traceback(proc)
    assert "argv: ['one', 'two words']" in proc.stdout and "stdin bytes: 0" in proc.stdout
    assert proc.stdout.count("x" * 1023) == 3 * 1024, "the script's megabytes are replayed whole"
    assert "hostile: done" in proc.stdout
    assert not script.exists(), "the script deleted itself"
    (name,) = records(proc)
    assert records(proc)[name]["status"] == "benchmarked"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, name])
    # the next run (the script restored) reuses its build
    shutil.copy(SCRIPTS / "hostile.py", script)
    again = subprocess.run([*run.proc.args[:3], f"input.script={script}", *FAST], cwd=tmp_path, env=env_for(seeded),
                           stdin=subprocess.PIPE, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr
    assert records(again)[name]["from_cache"] is True
    assert build_named(seeded, "hostile_") == name


@pytest.mark.parametrize("ending", ["exits", "hangs"])
def test_processes_that_leave_the_process_group_are_ended(benchit, cache_dir, tmp_path, ending):
    # A setsid child that ignores SIGTERM and a double-forked daemon escape a process-group kill; they must not
    # outlive their script (a timed-out one or one that exited): they would measure beside the next script.
    pidfile = tmp_path / "escapes.pids"
    args = [f"input.script={SCRIPTS / 'escapes.py'}", *FAST]
    if ending == "hangs":
        args += ["input.script_args=hang", "timeout=10"]
    run = Started(args, tmp_path, env_for(cache_dir, BENCHIT_TEST_PIDFILE=str(pidfile)), name=ending)
    proc = run.wait(120)
    if ending == "hangs":
        assert proc.returncode == 1
        one_clear_line(proc, r"timed out after 10 s")
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "no PyTorch or Keras model was called" in proc.stdout
    no_traceback(proc)
    pids = [int(pid) for pid in pidfile.read_text().split()]
    assert len(pids) == 2
    try:
        wait_for(lambda: not any(pid_alive(pid) for pid in pids), "the escaped processes to end", timeout=15)
    finally:  # a failure must not leave them sleeping beside the rest of the suite
        for pid in filter(pid_alive, pids):
            os.kill(pid, signal.SIGKILL)
