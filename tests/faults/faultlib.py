"""Helpers for the fault suite: start benchit, inject a fault at the right moment, check the promise.

The promise (issue 9, docs/faults.md): after any single fault, every result finished before it is still in
the cache and in the report; `benchit cache list` / `stats` / `report` run without errors; the next run
continues (rebuilds what is incomplete, reuses what is complete); the user got one clear line and no
traceback on the console.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from helpers import (FAST, HELLO, QUICK, benchit_env, build_names, pid_alive, records, results,  # noqa: F401
                     state, state_file, stats, stats_file)

FAULTS = Path(__file__).resolve().parent
DATA = FAULTS / "data"
CONF = DATA / "conf"
SCRIPTS = DATA / "scripts"
REPO = FAULTS.parent.parent
HELLO_SCRIPT = REPO / "examples" / "cli" / "scripts" / "hello_world.py"
# The faults are not about timing: QUICK (short measurements) and FAST (export_only too) come from tests/helpers.py.
PAUSED = ["--config-dir", str(CONF), "sequence=paused", *QUICK]


def env_for(cache_dir: Path, **extra: str) -> dict:
    return benchit_env(cache_dir, **extra)


class Started:
    """A benchit run in the background, in its own process group (like a shell job), output to files."""

    def __init__(self, args: list[str], cwd: Path, env: dict, name: str = "run", stdin=subprocess.DEVNULL):
        self.out_path, self.err_path = cwd / f"{name}.out", cwd / f"{name}.err"
        self._out, self._err = open(self.out_path, "w"), open(self.err_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchit", *args], cwd=cwd, env=env,
                                     stdin=stdin, stdout=self._out, stderr=self._err,
                                     start_new_session=True)

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to the foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def wait(self, timeout: float = 120) -> subprocess.CompletedProcess:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self._out.close()
            self._err.close()
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        return subprocess.CompletedProcess(self.proc.args, code, self.out_path.read_text(errors="replace"),
                                           self.err_path.read_text(errors="replace"))

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)


def wait_for(condition, what: str, started: Started | None = None, timeout: float = 120) -> None:
    """Poll `condition()` (a file appearing, a state reaching a stage) instead of sleeping blindly."""
    deadline = time.monotonic() + timeout
    while not condition():
        if started is not None and started.proc.poll() is not None:
            raise AssertionError(f"benchit ended before {what}: {started.out_path.read_text()}"
                                 f"{started.err_path.read_text()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def measuring(lock_file: Path) -> bool:
    """True while a benchit process given $BENCHIT_MACHINE_LOCK=`lock_file` measures: a measurement holds that lock
    exclusively (benchit/system/machine_lock.py), so a shared request fails at once. Builds hold it shared and do not count."""
    import fcntl

    if not lock_file.exists():
        return False
    fd = os.open(lock_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the probe at once
    return False


def no_traceback(*procs: subprocess.CompletedProcess) -> None:
    for proc in procs:
        text = proc.stdout + proc.stderr
        assert "Traceback" not in text, text[-3000:]


def one_clear_line(proc: subprocess.CompletedProcess, pattern: str) -> str:
    """The console says what happened in one line matching `pattern`, with no traceback."""
    no_traceback(proc)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if re.search(pattern, line)]
    assert lines, f"no line matching {pattern!r} in:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return lines[0]


def check_cache(benchit, cache_dir: Path, tmp_path: Path, benchmarked: list[str] = (),
                built: list[str] = ()) -> list[dict]:
    """`cache list`, `cache stats` of every build and `report` run without errors; the named builds are there
    with their results (benchmarked: a benchmark row; built: a successful build). Returns the report rows."""
    listing = benchit("cache", "list", "--cache-dir", str(cache_dir))
    assert listing.returncode == 0, listing.stdout + listing.stderr
    names = [line for line in listing.stdout.splitlines()[1:] if line and line != "(none)"]
    for name in [*benchmarked, *built]:
        assert name in names, listing.stdout
    if names:
        shown = benchit("cache", "stats", *names, "--cache-dir", str(cache_dir))
        assert shown.returncode == 0, shown.stdout + shown.stderr
        no_traceback(shown)
    out = tmp_path / f"report_{time.monotonic_ns()}.csv"
    report = benchit("report", "--cache-dir", str(cache_dir), "-o", str(out))
    assert report.returncode == 0, report.stdout + report.stderr
    no_traceback(listing, report)
    rows = list(csv.DictReader(out.open())) if out.exists() else []
    by_build = {}
    for row in rows:
        by_build.setdefault(row["build_name"], []).append(row)
    for name in benchmarked:
        assert any(r["status"] == "benchmarked" and r["mean_ms"] for r in by_build.get(name, [])), by_build.get(name)
        assert stats(cache_dir, name)["benchmarks"], name
    for name in built:
        assert state(cache_dir, name)["build_status"] in ("successful", "partial"), name
    return rows


TINY = SCRIPTS / "tiny.py"


def build_named(cache_dir: Path, prefix: str) -> str:
    """The one build whose name starts with `prefix` (tiny_<hash>), as `benchit cache list` names it."""
    names = build_names(cache_dir, prefix)
    assert len(names) == 1, names
    return names[0]


def build_finished(cache_dir: Path, prefix: str) -> bool:
    """True once the build named `prefix`<hash> has written a successful state. Polled while the build runs, so a
    folder that exists before its state file (the build has only just started) reads as "not yet"."""
    folders = [p for p in cache_dir.iterdir() if p.is_dir() and p.name.startswith(prefix)]
    if len(folders) != 1:
        return False
    path = state_file(cache_dir, folders[0].name)
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return isinstance(data, dict) and data.get("build_status") == "successful"


def both_scripts(*scripts: Path) -> list[str]:
    return ["input.script=null", "input.scripts=[" + ",".join(f"'{s}'" for s in scripts) + "]"]
