"""Every command in README.md and docs/*.md runs: docs that drift from the code fail CI.

Commands are the `$ ` lines of ```console blocks. They run from a temp folder holding a copy of
examples/ and a temp cache. A trailing marker changes what is expected:
    # fails          the command must exit non-zero (an error the docs show on purpose)
    # needs: gpu     skipped here unless an NVIDIA GPU is present (likewise: cluster, ray)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)


def _commands():
    for doc in DOCS:
        for block in _BLOCK.findall(doc.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if line.startswith("$ "):
                    yield pytest.param(doc.name, line[2:].strip(), id=f"{doc.name}: {line[2:].strip()[:60]}")


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and subprocess.run(["nvidia-smi"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("docs")
    shutil.copytree(REPO / "examples", work / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    return work


def test_docs_have_commands():
    assert len(list(_commands())) >= 10


@pytest.mark.parametrize("doc, command", list(_commands()))
def test_documented_command_runs(doc, command, workdir):
    text, _, marker = command.partition("#")
    marker = marker.strip()
    needs = re.match(r"needs:\s*(\w+)", marker)
    if needs:
        if needs.group(1) == "gpu" and _has_gpu():
            pass
        else:
            pytest.skip(f"needs {needs.group(1)}: not available on this machine")
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(workdir / "cache")}
    env.pop("HYDRA_FULL_ERROR", None)
    proc = subprocess.run(["bash", "-c", text], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    if marker.startswith("fails"):
        assert proc.returncode != 0, f"{doc}: `{text}` should fail\n{output}"
        assert "Traceback" not in output
    else:
        assert proc.returncode == 0, f"{doc}: `{text}` exited {proc.returncode}\n{output[-3000:]}"
