"""Fixtures of the cluster suite: a real private Slurm cluster and a real local Ray head, one per test module.

Each is brought up once per module (test_slurm.py, test_ray.py) under pytest's temp dir and torn down after it,
whether the tests passed or failed (the fixtures' `with` blocks). Where the binaries are missing the tests skip
with that reason; under CI=true (where .ci/run installs them) a missing binary fails the tests instead, so CI
never passes on tests that did not run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clusterlib import (RAY_BINARIES, SLURM_BINARIES, ClusterError, RayCluster, SlurmCluster, Started,
                        missing_binaries)

SLURM_PACKAGES = "apt-get install -y slurmctld slurmd slurm-client munge slurmdbd mariadb-server"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    """Skip with `reason`; under CI=true fail with it (CI installs everything these tests need)."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


def ray_binary() -> str | None:
    """`ray` of this interpreter's environment (its bin/ is not always on PATH), else the one on PATH."""
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.is_file() else shutil.which("ray")


def slurm_missing_reason() -> str | None:
    missing = missing_binaries(SLURM_BINARIES)
    return f"Slurm binaries missing: {', '.join(missing)} ({SLURM_PACKAGES})" if missing else None


def ray_missing_reason() -> str | None:
    missing = [] if ray_binary() else list(RAY_BINARIES)
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        missing.append("hydra_plugins.hydra_ray_launcher")
    return (f"Ray missing: {', '.join(missing)} (pip install -e '.[ray]'; it downgrades cloudpickle)"
            if missing else None)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A private single-node Slurm cluster with accounting, up for the test module."""
    reason = slurm_missing_reason()
    if reason:
        _unavailable(reason)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        with cluster:
            yield cluster
    except ClusterError as error:
        if cluster.timings.up_s:  # it was up: a teardown problem
            raise
        pytest.fail(f"the Slurm cluster did not come up: {error}", pytrace=False)


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A local Ray head (`ray start --head --block --num-cpus=2`), up for the test module."""
    reason = ray_missing_reason()
    if reason:
        _unavailable(reason)
    head = RayCluster(tmp_path_factory.mktemp("ray"), ray=ray_binary())
    try:
        with head:
            yield head
    except ClusterError as error:
        if head.timings.up_s:
            raise
        pytest.fail(f"the Ray head did not come up: {error}", pytrace=False)


@pytest.fixture
def work(tmp_path) -> Path:
    """The folder benchit runs in (its working directory)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def _env(cache_dir: Path, base: dict | None, extra: dict | None) -> dict:
    env = {**(base if base is not None else os.environ), "BENCHIT_CACHE_DIR": str(cache_dir), **(extra or {})}
    env.pop("HYDRA_FULL_ERROR", None)
    return env


@pytest.fixture
def on_slurm(slurm, work, cache_dir):
    """Run `benchit ARGS...` (a subprocess) in `work`, with BENCHIT_CACHE_DIR=cache_dir and SLURM_CONF set."""
    started: list[Started] = []

    def run(*args: str, timeout: float = 600, env: dict | None = None, cwd: Path | None = None,
            background: bool = False):
        full_env = _env(cache_dir, slurm.env(), env)
        if background:
            started.append(Started(list(args), cwd or work, full_env, name=f"run{len(started)}"))
            return started[-1]
        return subprocess.run([sys.executable, "-m", "benchit", *args], cwd=cwd or work, env=full_env,
                              capture_output=True, text=True, timeout=timeout)

    yield run
    for job in started:
        job.kill()
    slurm.cancel_all()  # nothing a test left behind runs into the next test


@pytest.fixture
def on_ray(ray_head, work, cache_dir):
    """Run `benchit ARGS...` in `work`, with BENCHIT_CACHE_DIR=cache_dir, beside the module's Ray head."""

    def run(*args: str, timeout: float = 600, env: dict | None = None, unset: list[str] = ()):
        full_env = _env(cache_dir, ray_head.env(), env)
        for name in unset:
            full_env.pop(name, None)
        return subprocess.run([sys.executable, "-m", "benchit", *args], cwd=work, env=full_env, capture_output=True,
                              text=True, timeout=timeout)

    return run


@pytest.fixture
def ray_current_cluster():
    """Write /tmp/ray/ray_current_cluster (what `ray start --head` leaves for `address=auto`), put back after."""
    path = RayCluster.CURRENT
    before = path.read_bytes() if path.exists() else None
    made_folder = not path.parent.exists()

    def point_at(address: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(address)
        return path

    yield point_at
    if before is None:
        path.unlink(missing_ok=True)
        if made_folder:
            try:
                path.parent.rmdir()
            except OSError:  # something else wrote there meanwhile: leave it
                pass
    else:
        path.write_bytes(before)
