"""The file system fails: a read-only cache (a tmpfs remounted read-only, as root; chmod 555 for a user), a cache
folder that does not exist yet, a full disk (a 1 MB tmpfs made for the test). Clear errors, nothing half-written
left claiming success, and the next run continues. Where this machine cannot mount a tmpfs, the test skips with
mount's own reason (tests/helpers.py)."""

from __future__ import annotations

import pytest

from faultlib import (FAST, HELLO, HELLO_SCRIPT, SCRIPTS, both_scripts, check_cache, no_traceback, one_clear_line,
                      records, state)
from helpers import copy_cache, read_only, remount, small_filesystem, snapshot


@pytest.mark.slow
def test_read_only_cache(benchit, seeded, tmp_path):
    with read_only(seeded) as cache:  # the same cache on a read-only file system (a tmpfs remounted ro, as root)
        before = snapshot(cache)
        proc = benchit(f"input.script={HELLO_SCRIPT}", f"cache.dir={cache}", *FAST)
        assert proc.returncode != 0
        line = one_clear_line(proc, r"^benchit: error: .*(Read-only file system|Permission denied)")
        assert "cache.dir=DIR" in line, line
        assert snapshot(cache) == before, "a failed run changed the cache"
        check_cache(benchit, cache, tmp_path, benchmarked=[HELLO])  # reading a read-only cache works
    # the cache writable again: the next run continues
    proc = benchit(f"input.script={HELLO_SCRIPT}", *FAST, check=True)
    assert records(proc)[HELLO]["from_cache"] is True
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])


def test_cache_folder_that_does_not_exist_yet(benchit, tmp_path):
    """The fault smoke of the fast tier."""
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


@pytest.mark.slow
def test_full_disk(benchit, finished_cache, tmp_path):
    disk = tmp_path / "disk"
    big = SCRIPTS / "big.py"  # 4 MB of weights: its export does not fit in 1 MB
    with small_filesystem(disk, "1m"):
        cache = copy_cache(finished_cache, disk / "cache")
        args = [*both_scripts(HELLO_SCRIPT, big), f"cache.dir={cache}", *FAST]
        proc = benchit(*args)
        assert proc.returncode != 0
        one_clear_line(proc, r"No space left on device.*disk is full|disk is full")
        names = [p.name for p in cache.iterdir() if p.name.startswith("big_")]
        for name in names:  # whatever the full disk left, it does not claim success
            assert state(cache, name).get("build_status") not in ("successful", "partial")
        check_cache(benchit, cache, tmp_path, benchmarked=[HELLO])
        remount(disk, "size=64m")  # space freed
        proc = benchit(*args, check=True)
        found = records(proc)
        assert found[HELLO]["from_cache"] is True
        (big_build,) = [name for name in found if name.startswith("big_")]
        assert found[big_build]["status"] == "benchmarked" and found[big_build]["from_cache"] is False
        check_cache(benchit, cache, tmp_path, benchmarked=[HELLO, big_build])
