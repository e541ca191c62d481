"""The configs and examples ship inside the wheel: a non-editable install works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from repo_paths import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True)
    return next(out.glob("benchit-*.whl"))


def test_wheel_ships_configs_and_examples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("benchit/conf/config.yaml", "benchit/conf/device/x86.yaml", "benchit/conf/device/nvidia.yaml",
                     "benchit/conf/sequence/default.yaml", "benchit/conf/sequence/export_only.yaml",
                     "benchit/conf/input/hello_world.yaml", "benchit/examples/cli/scripts/hello_world.py",
                     "benchit/examples/cli/extras/example_sequence.py"):
        assert required in names, f"{required} missing from the wheel"


def test_installed_wheel_runs_hello_world_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The venv sees the dependencies installed here (torch, onnxruntime, ...: this interpreter's site-packages, a
    # venv's too, which --system-site-packages would miss) after its own, so it gets its own benchit. A path in a
    # .pth is only added: the .pth files there (this checkout's editable install) are not run.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "benchit_test_dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(tmp_path / "cache")}
    located = subprocess.run([str(python), "-c", "import benchit, sys; print(benchit.__file__)"], cwd=elsewhere,
                             env=env, capture_output=True, text=True, check=True)
    assert str(venv) in located.stdout, "the test must run the wheel's benchit, not the checkout's"
    proc = subprocess.run([str(venv / "bin" / "benchit"), "input=hello_world"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Hash:\t\t479b1332" in proc.stdout
    assert "Model successfully benchmarked" in proc.stdout
    assert str(venv) in proc.stdout, "the example script must come from the installed package"
