"""Fixtures of the fault suite: a cache that already holds one finished, benchmarked build."""

from __future__ import annotations

import subprocess
import sys

import pytest

from faultlib import FAST, HELLO_SCRIPT, PAUSED, TINY, both_scripts, env_for
from helpers import copy_cache, stats_file


def _finished(folder, sequence_args, scripts=(HELLO_SCRIPT,)):
    cache = folder / "cache"
    proc = subprocess.run([sys.executable, "-m", "benchit", *sequence_args, *both_scripts(*scripts)],
                          cwd=folder, env=env_for(cache), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stats_file(cache).exists()
    return cache


@pytest.fixture(scope="session")
def finished_cache(tmp_path_factory):
    """A cache with hello_world built (export_only) and benchmarked on x86: the result a fault must not lose."""
    return _finished(tmp_path_factory.mktemp("finished"), FAST)


@pytest.fixture(scope="session")
def finished_pair_cache(tmp_path_factory):
    """hello_world and tiny, both built (export_only) and benchmarked."""
    return _finished(tmp_path_factory.mktemp("finished_pair"), FAST, (HELLO_SCRIPT, TINY))


@pytest.fixture(scope="session")
def finished_paused_cache(tmp_path_factory):
    """The same with the four-stage `paused` sequence (tests/faults/data/conf), for faults inside a stage."""
    return _finished(tmp_path_factory.mktemp("finished_paused"), PAUSED)


def _seed(source, cache_dir):
    return copy_cache(source, cache_dir)


@pytest.fixture
def seeded(finished_cache, cache_dir):
    """This test's cache, holding the finished hello_world build (copied from the session's)."""
    return _seed(finished_cache, cache_dir)


@pytest.fixture
def seeded_pair(finished_pair_cache, cache_dir):
    """This test's cache, holding hello_world and tiny, finished."""
    return _seed(finished_pair_cache, cache_dir)


@pytest.fixture
def seeded_paused(finished_paused_cache, cache_dir):
    """This test's cache, holding hello_world finished with the `paused` sequence."""
    return _seed(finished_paused_cache, cache_dir)


def pytest_terminal_summary(terminalreporter):
    """How many faults this run injected and survived, and which it could not inject here and why: a skipped
    fault is not a survived one (docs/faults.md counts only what ran)."""
    outcomes: dict[str, tuple[str, str]] = {}
    for key in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(key, []):
            nodeid = getattr(report, "nodeid", "")
            if "faults/" not in nodeid or (key == "passed" and report.when != "call"):
                continue
            reason = report.longrepr[2] if key == "skipped" and isinstance(report.longrepr, tuple) else ""
            if outcomes.get(nodeid, ("passed",))[0] == "passed":  # a failure in teardown still counts
                outcomes[nodeid] = (key, reason)
    if not outcomes:
        return
    ran = [n for n, (key, _) in outcomes.items() if key != "skipped"]
    survived = [n for n in ran if outcomes[n][0] == "passed"]
    skipped = {n: reason for n, (key, reason) in outcomes.items() if key == "skipped"}
    terminalreporter.write_sep("-", f"faults: {len(ran)} injected, {len(survived)} survived, "
                                    f"{len(skipped)} not injected here")
    for nodeid in sorted(set(ran) - set(survived)):
        terminalreporter.write_line(f"not survived: {nodeid}")
    for nodeid, reason in sorted(skipped.items()):
        terminalreporter.write_line(f"not injected: {nodeid}: {reason}")
