"""Shared fixtures: run the real `benchit` command in a temp dir with a temp cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def benchit(tmp_path, cache_dir):
    """Run `benchit ARGS...` as a subprocess in tmp_path with BENCHIT_CACHE_DIR=cache_dir."""

    def run(*args: str, timeout: float = 300, env: dict | None = None, cwd: Path | None = None,
            check: bool | None = None) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir), **(env or {})}
        full_env.pop("HYDRA_FULL_ERROR", None)
        proc = subprocess.run([sys.executable, "-m", "benchit", *args], cwd=cwd or tmp_path, env=full_env,
                              capture_output=True, text=True, timeout=timeout)
        if check is True:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    return run
