"""Fixtures of the fault suite: a cache that already holds one finished, benchmarked build."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from faultlib import FAST, HELLO, HELLO_SCRIPT, PAUSED, TINY, both_scripts, env_for


def _finished(folder, sequence_args, scripts=(HELLO_SCRIPT,)):
    cache = folder / "cache"
    proc = subprocess.run([sys.executable, "-m", "benchit", *sequence_args, *both_scripts(*scripts)],
                          cwd=folder, env=env_for(cache), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (cache / HELLO / f"{HELLO}_stats.yaml").exists()
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
    shutil.copytree(source, cache_dir, ignore=shutil.ignore_patterns("runs", ".locks"))
    return cache_dir


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
