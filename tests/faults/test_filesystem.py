"""The file system fails: a read-only cache, a cache folder that does not exist yet, a full disk (a small tmpfs
made for the test). Clear errors, nothing half-written left claiming success, and the next run continues."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest

from faultlib import (FAST, HELLO, HELLO_SCRIPT, SCRIPTS, both_scripts, check_cache, no_traceback, one_clear_line,
                      records, state)

pytestmark = pytest.mark.slow

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def read_only(folder):
    """`folder` read-only: a read-only bind mount as root (root ignores permission bits), else chmod."""
    if IS_ROOT:
        try:
            _mount("--bind", str(folder), str(folder))
        except (OSError, subprocess.CalledProcessError) as error:
            pytest.skip(f"cannot bind-mount here: {error}")
        try:
            _mount("-o", "remount,bind,ro", str(folder))
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for path in modes:
            path.chmod(0o555)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)


@contextlib.contextmanager
def small_filesystem(folder, size: str):
    """A tmpfs of `size` at `folder` (root only): a disk that fills up."""
    if not IS_ROOT:
        pytest.skip("a small file system needs root (mount -t tmpfs)")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def _snapshot(cache):
    return {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}


def test_read_only_cache(benchit, seeded, tmp_path):
    before = _snapshot(seeded)
    with read_only(seeded):
        proc = benchit(f"input.script={HELLO_SCRIPT}", *FAST)
        assert proc.returncode != 0
        line = one_clear_line(proc, r"^benchit: error: .*(Read-only file system|Permission denied)")
        assert "cache.dir=DIR" in line, line
        assert _snapshot(seeded) == before, "a failed run changed the cache"
        check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])  # reading a read-only cache works
    proc = benchit(f"input.script={HELLO_SCRIPT}", *FAST, check=True)
    assert records(proc)[HELLO]["from_cache"] is True
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])


def test_cache_folder_that_does_not_exist_yet(benchit, tmp_path):
    cache = tmp_path / "not" / "there" / "yet"
    listing = benchit("cache", "list", "--cache-dir", str(cache))
    assert listing.returncode == 0 and "No cache at" in listing.stdout
    report = benchit("report", "--cache-dir", str(cache), "-o", str(tmp_path / "empty.csv"))
    one_clear_line(report, r"^benchit report: error: no cache at .*run benchit first")  # a message, not a crash
    no_traceback(listing)
    assert not cache.exists(), "reading a cache never creates it"
    proc = benchit(f"input.script={HELLO_SCRIPT}", f"cache.dir={cache}", *FAST, check=True)
    assert records(proc)[HELLO]["status"] == "benchmarked"
    check_cache(benchit, cache, tmp_path, benchmarked=[HELLO])
    proc = benchit(f"input.script={HELLO_SCRIPT}", f"cache.dir={cache}", *FAST, check=True)
    assert records(proc)[HELLO]["from_cache"] is True


def test_full_disk(benchit, finished_cache, tmp_path):
    disk = tmp_path / "disk"
    big = SCRIPTS / "big.py"  # 4 MB of weights: its export does not fit in 1 MB
    with small_filesystem(disk, "1m"):
        cache = disk / "cache"
        shutil.copytree(finished_cache, cache, ignore=shutil.ignore_patterns("runs", ".locks"))
        args = [*both_scripts(HELLO_SCRIPT, big), f"cache.dir={cache}", *FAST]
        proc = benchit(*args)
        assert proc.returncode != 0
        one_clear_line(proc, r"No space left on device.*disk is full|disk is full")
        names = [p.name for p in cache.iterdir() if p.name.startswith("big_")]
        for name in names:  # whatever the full disk left, it does not claim success
            assert state(cache, name).get("build_status") not in ("successful", "partial")
        check_cache(benchit, cache, tmp_path, benchmarked=[HELLO])
        _mount("-o", "remount,size=64m", str(disk))  # space freed
        proc = benchit(*args, check=True)
        found = records(proc)
        assert found[HELLO]["from_cache"] is True
        (big_build,) = [name for name in found if name.startswith("big_")]
        assert found[big_build]["status"] == "benchmarked" and found[big_build]["from_cache"] is False
        check_cache(benchit, cache, tmp_path, benchmarked=[HELLO, big_build])
