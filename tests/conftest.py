"""Shared fixtures: run the real `benchit` command in a temp dir with a temp cache; caches made once per session
by real runs of the real CLI, copied into each test that needs one (never hand-written state files)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import EXAMPLES, FAST, QUICK, benchit_env, copy_cache, run_benchit

DATA = Path(__file__).resolve().parent / "data"
REPORT_SCRIPTS = [DATA / "report" / name for name in ("bert_like.py", "detector.py", "timm_like.py")]
UNEXPORTABLE = DATA / "report" / "unexportable.py"
MANY_MODELS = 70  # more than a plot shows (60): the picture is capped, the table is not


def _scripts(*scripts: Path) -> list[str]:
    return ["input.script=null", "input.scripts=[" + ",".join(f"'{s}'" for s in scripts) + "]"]


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def benchit(tmp_path, cache_dir):
    """Run `benchit ARGS...` as a subprocess in tmp_path with BENCHIT_CACHE_DIR=cache_dir."""

    def run(*args: str, timeout: float = 300, env: dict | None = None, cwd: Path | None = None,
            check: bool | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "benchit", *args], cwd=cwd or tmp_path,
                              env=benchit_env(cache_dir, **(env or {})), capture_output=True, text=True,
                              timeout=timeout)
        if check is True:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    return run


# ------------------------------------------------------------------------------------ session caches
@pytest.fixture(scope="session")
def hello_built(tmp_path_factory) -> Path:
    """A cache made by one real run of hello_world and two_models (the default sequence, benchmarked on x86/ort
    with a short measurement): builds hello_world_479b1332, two_models_479b1332 and two_models_215ca1e3, and the
    run's folder under runs/. Tests that are not about a cold build start from a copy."""
    folder = tmp_path_factory.mktemp("hello_built")
    run_benchit(*_scripts(EXAMPLES / "hello_world.py", EXAMPLES / "two_models.py"), *QUICK,
                cache_dir=folder / "cache", cwd=folder)
    return folder / "cache"


@pytest.fixture
def hello_cache(hello_built, cache_dir) -> Path:
    """This test's cache: a copy of `hello_built` (its builds, not its run folders)."""
    return copy_cache(hello_built, cache_dir)


@pytest.fixture(scope="session")
def report_built(tmp_path_factory) -> Path:
    """Real builds for the report and the cache commands, made by one run of four labelled scripts (export_only,
    x86/ort): bert_like (two models), detector and timm_like (one each), and unexportable, whose model no exporter
    can export (a failed build; the run exits 1); then timm_like benchmarked again with PyTorch eager, so that
    its build has two results (x86/ort and x86/torch). 5 builds, 6 report rows."""
    folder = tmp_path_factory.mktemp("report_built")
    cache = folder / "cache"
    proc = subprocess.run([sys.executable, "-m", "benchit", *_scripts(*REPORT_SCRIPTS, UNEXPORTABLE), *FAST],
                          cwd=folder, env=benchit_env(cache), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and "benchit: 4 scripts: 3 benchmarked, 1 failed" in proc.stdout, \
        proc.stdout[-3000:] + proc.stderr[-3000:]
    run_benchit(f"input.script={REPORT_SCRIPTS[2]}", *FAST, "device.runtime=torch", cache_dir=cache, cwd=folder)
    return cache


@pytest.fixture
def report_cache(report_built, cache_dir) -> Path:
    """This test's cache: a copy of `report_built`."""
    return copy_cache(report_built, cache_dir)


@pytest.fixture(scope="session")
def many_built(tmp_path_factory) -> Path:
    """MANY_MODELS one-layer models of one script, each its own build, built (`mode=build`) by a sequence that
    only records them (tests/data/report/conf: no export, the cheapest real build)."""
    folder = tmp_path_factory.mktemp("many_built")
    run_benchit("--config-dir", str(DATA / "report" / "conf"), f"input.script={DATA / 'report' / 'many_models.py'}",
                "sequence=record_only", "mode=build", cache_dir=folder / "cache", cwd=folder,
                BENCHIT_TEST_MODELS=str(MANY_MODELS))
    return folder / "cache"


@pytest.fixture(scope="session")
def sweep_built(tmp_path_factory) -> Path:
    """A real sweep: two_models (a copy, named by a short relative path) by two sequences, and a script that
    does not exist (its jobs fail); returns the sweep folder (its jobs and summary.csv)."""
    folder = tmp_path_factory.mktemp("sweep_built")
    shutil.copy(EXAMPLES / "two_models.py", folder / "two_models.py")
    cache = folder / "cache"
    proc = subprocess.run([sys.executable, "-m", "benchit", "-m", "input.script=two_models.py,missing.py",
                           "sequence=export_only,optimize_fp32", *QUICK], cwd=folder, env=benchit_env(cache),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]  # the jobs of the missing script failed
    (sweep,) = (cache / "sweeps").iterdir()
    return sweep


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test on a real cluster (tests/clusters) is end to end by nature: it belongs to the slow tier, so that
    `-m "not slow"` stays the fast one."""
    for item in items:
        if item.get_closest_marker("cluster") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject.toml's addopts): a worker per core, at most 4. Most tests wait on a benchit
    subprocess; more workers than cores only queue them (and the machine lock serializes measurements)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
