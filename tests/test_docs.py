"""Every command in README.md and docs/*.md runs: docs that drift from the code fail CI.

Commands are the `$ ` lines of ```console blocks. They run, in order, from one temp folder holding a
copy of examples/ and a temp cache (BENCHIT_CACHE_DIR), so a page's later commands see what its
earlier ones made (`--cache-dir tmp_cache`, then `benchit cache list --cache-dir tmp_cache`). A
trailing marker changes what is expected:
    # fails          the command must exit non-zero, with one clear line (no traceback)
    # needs: gpu     skipped unless an NVIDIA GPU is present
    # needs: cluster, ray, repo     skipped: a Slurm cluster, hydra-ray-launcher in its own venv,
                     or the repository's benchmarks/ (minutes long), which the temp folder lacks
Any other comment is just a comment. The quick tests check the guide's links and that every
section of the tutorial has a home.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from repo_paths import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
_NEEDS = ("gpu", "cluster", "ray", "repo")


def _commands():
    for doc in DOCS:
        for block in _BLOCK.findall(doc.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if line.startswith("$ "):
                    yield pytest.param(doc.name, line[2:].strip(), id=f"{doc.name}: {line[2:].strip()[:60]}")


def _marker(command: str) -> str:
    """The trailing comment: what follows the first ` #` (bash ignores it too)."""
    found = re.search(r"\s#(.*)$", command)
    return found.group(1).strip() if found else ""


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and subprocess.run(["nvidia-smi"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("docs")
    shutil.copytree(REPO / "examples", work / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    return work


def test_docs_have_commands():
    assert len(list(_commands())) >= 10
    for param in _commands():
        doc, command = param.values
        needs = re.match(r"needs:\s*(\w+)", _marker(command))
        assert not needs or needs.group(1) in _NEEDS, f"{doc}: unknown marker in `{command}` (use one of {_NEEDS})"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_between_pages_resolve():
    """Relative links ([x](builds.md#lean-cache)) name a page that exists and a heading it has."""
    anchors = {}
    for doc in DOCS:
        text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.S | re.M)
        anchors[doc.resolve()] = {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            page = (doc.parent / path).resolve() if path else doc.resolve()
            if not page.exists():
                broken.append(f"{doc.name}: {target} (no such file)")
            elif anchor and page.suffix == ".md" and anchor not in anchors.get(page, set()):
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


TUTORIAL_SECTIONS = ("Hello World", "Nvidia Benchmarking", "Multiple Models per Script", "Model Hashes",
                     "Search Directory", "Benchmark All Scripts", "Cache Directory", "Cache Commands", "Lean Cache",
                     "Sequence File", "Maximum Analysis Depth", "Analyze Only", "Build Only")


def test_every_tutorial_section_has_a_home():
    """The getting-started table gives each section of the tutorial both forms and a page."""
    text = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    for section in TUTORIAL_SECTIONS:
        row = re.search(rf"^\| {re.escape(section)} \|(.+)$", text, re.M)
        assert row, f"the tutorial's '{section}' has no row in docs/getting-started.md"
        cells = [c.strip() for c in row.group(1).split(" | ")]
        assert len(cells) == 3 and all(cells), f"'{section}': tutorial form, Hydra form and page: {cells}"


@pytest.mark.slow
@pytest.mark.parametrize("doc, command", list(_commands()))
def test_documented_command_runs(doc, command, workdir):
    marker = _marker(command)
    needs = re.match(r"needs:\s*(\w+)", marker)
    if needs and not (needs.group(1) == "gpu" and _has_gpu()):
        pytest.skip(f"needs {needs.group(1)}: not available on this machine")
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(workdir / "cache")}
    env.pop("HYDRA_FULL_ERROR", None)
    proc = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, f"{doc}: `{command}` printed a traceback\n{output[-3000:]}"
    if marker.startswith("fails"):
        assert proc.returncode != 0, f"{doc}: `{command}` should fail\n{output}"
    else:
        assert proc.returncode == 0, f"{doc}: `{command}` exited {proc.returncode}\n{output[-3000:]}"
