"""Quiet measurements (benchit.system.machine_lock): a measurement never runs beside another benchit build or measurement on
the machine. The lock itself between threads, then real `benchit` runs that must wait for a lock this test holds."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from benchit.system.machine_lock import LOCK_ENV, machine_lock
from helpers import EXAMPLES, QUICK, benchit_env, copy_cache, stats

HELLO = f"input.script={EXAMPLES / 'hello_world.py'}"


@pytest.fixture
def lock_file(tmp_path, monkeypatch):
    path = tmp_path / "machine.lock"
    monkeypatch.setenv(LOCK_ENV, str(path))
    return path


def _take_in_thread(exclusive: bool) -> tuple[threading.Thread, threading.Event]:
    got = threading.Event()

    def take():
        with machine_lock(exclusive=exclusive, waiting_for="test"):
            got.set()

    thread = threading.Thread(target=take)
    thread.start()
    return thread, got


def test_builds_share_the_lock_and_a_measurement_waits_for_them(lock_file, capsys):
    with machine_lock(exclusive=False, waiting_for="measuring"):
        assert "waiting" not in capsys.readouterr().err, "nothing held the lock, yet it waited"
        shared, got_shared = _take_in_thread(exclusive=False)
        assert got_shared.wait(10), "two builds must run side by side"
        shared.join()
        exclusive, got_exclusive = _take_in_thread(exclusive=True)
        assert not got_exclusive.wait(0.5), "a measurement started while a build held the lock"
    assert got_exclusive.wait(10), "the measurement never got the lock once the build ended"
    exclusive.join()
    assert "waiting for another benchit process on this machine to finish test" in capsys.readouterr().err


def test_no_lock_file_possible_means_no_guard(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCK_ENV, str(tmp_path / "missing" / "folder" / "machine.lock"))
    with machine_lock(exclusive=True, waiting_for="test") as waited:
        assert waited == 0.0  # the work goes on: a lock never fails a run


def _start(tmp_path, cache_dir, lock_file, *args):
    env = benchit_env(cache_dir, **{LOCK_ENV: str(lock_file)})
    err = open(tmp_path / f"stderr_{len(list(tmp_path.glob('stderr_*')))}.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "benchit", HELLO, *args],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    return proc, err


def _wait_for_line(proc, err, line: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        err.seek(0)
        if line in err.read():
            return
        assert proc.poll() is None, f"benchit ended without waiting: {proc.stdout.read()}"
        assert time.monotonic() < deadline, f"benchit never said: {line}"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("held_by", ["a measurement", "a build"])
def test_a_run_waits_for_another_process_on_the_machine(tmp_path, cache_dir, hello_built, lock_file, held_by):
    if held_by == "a build":  # warm cache: the run only measures, and must wait for the build to end
        copy_cache(hello_built, cache_dir)
    exclusive = held_by == "a measurement"
    waits_for = "measuring" if exclusive else "building or measuring"
    with machine_lock(exclusive=exclusive, waiting_for="test"):
        proc, err = _start(tmp_path, cache_dir, lock_file, *QUICK)
        try:
            _wait_for_line(proc, err, f"to finish {waits_for}")
            time.sleep(0.5)
            assert proc.poll() is None, "benchit went on while the other process held the lock"
        except BaseException:
            proc.kill()
            raise
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "Model successfully benchmarked" in out
    assert stats(cache_dir)["benchmarks"]["x86/ort"]["latency"]["mean_ms"] > 0


@pytest.mark.slow
def test_exclusive_false_measures_without_waiting(tmp_path, hello_cache, lock_file, benchit):
    with machine_lock(exclusive=False, waiting_for="test"):  # another process builds
        proc = benchit(HELLO, *QUICK, "device.measurement.exclusive=false",
                       env={LOCK_ENV: str(lock_file)}, timeout=120, check=True)
    assert "waiting for another benchit process" not in proc.stderr
