"""Every command in README.md and docs/*.md runs, and says what the page says it says: docs that drift from the
code fail CI.

Commands are the `$ ` lines of ```console blocks. Each page runs in a temp folder of its own holding a copy of
examples/ and a temp cache (BENCHIT_CACHE_DIR), so that a page's later commands see what its earlier ones made
(`--cache-dir tmp_cache`, then `benchit cache list --cache-dir tmp_cache`). Each command is a test of its own and
needs nothing but its page: run alone (`-k`), or after a later command of its page, a command first replays the
earlier commands of its page in a fresh folder (those that make things: not `fails` or `needs:` lines).

A trailing comment can say what to expect (any other comment is just a comment):
    # fails              exits non-zero with exactly one error line (`benchit...: error: ...`, or the `Error:` line
                         of the printed tree) and no traceback
    # fails: "TEXT"      ... and that line says TEXT (`...` in TEXT stands for anything)
    # expect: TEXT       exits 0 and its output holds TEXT
    # shows KEY: VALUE [and KEY2 ...]
                         exits 0, and the YAML it prints (`benchit cache stats`) has KEY equal to VALUE (read as
                         YAML) and a key KEY2
    # needs: gpu         skipped unless an NVIDIA GPU is present
    # needs: cluster|ray skipped: a Slurm cluster; hydra-ray-launcher in its own venv (docs/studies.md)
    # needs: repo        runs in the repository (the checkout CI runs in), made small: the benchmarks in their
                         quick mode (BENCHIT_BENCH_QUICK=1, a 5-script corpus unless the line sets another), a test
                         run of tests/faults or the faults benchmark on one fault (PYTEST_ADDOPTS=-k ...)
The quick tests check the markers, the guide's links and that every section of the tutorial has a home.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from helpers import HAS_GPU, REPO, benchit_env

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
_NEEDS = ("gpu", "cluster", "ray", "repo")
_ERROR_LINE = re.compile(r"^(benchit[\w ]*: error: |\s*Error: )")
# a `needs: repo` line runs one fault when it runs the fault suite (nested in this one, it would double it)
_ONE_FAULT = "-p no:cacheprovider -n 0 -k test_stage_that_raises"


def _page_commands(doc: Path) -> list[str]:
    return [line[2:].strip() for block in _BLOCK.findall(doc.read_text(encoding="utf-8"))
            for line in block.splitlines() if line.startswith("$ ")]


def _commands():
    for doc in DOCS:
        for index, command in enumerate(_page_commands(doc)):
            # a page's commands run in one pytest-xdist worker (its later commands use what its earlier ones
            # made: apart, each worker would replay them); a benchmark or a test run in the repository takes
            # minutes on a loaded machine
            marks = [pytest.mark.xdist_group(f"docs:{doc.name}")]
            if _needs(_marker(command)) == "repo":
                marks.append(pytest.mark.timeout(1800))
            yield pytest.param(doc.name, index, command, id=f"{doc.name}: {command[:60]}", marks=marks)


def _marker(command: str) -> str:
    """The trailing comment: what follows the first ` #` (bash ignores it too)."""
    found = re.search(r"\s#(.*)$", command)
    return found.group(1).strip() if found else ""


def _needs(marker: str) -> str | None:
    found = re.match(r"needs:\s*(\w+)", marker)
    return found.group(1) if found else None


def _quoted(marker: str) -> str | None:
    found = re.match(r'fails:\s*"(.*)"\s*$', marker)
    return found.group(1) if found else None


def _claims(marker: str) -> list[tuple[str, object]] | None:
    """`shows sequence: [a, b] and node_count` -> [("sequence", ["a", "b"]), ("node_count", <any>)]."""
    found = re.match(r"shows\s+(.+)$", marker)
    if not found:
        return None
    claims = []
    for part in re.split(r"\s+and\s+", found.group(1)):
        key, colon, value = part.partition(":")
        claims.append((key.strip(), yaml.safe_load(value) if colon else _ANY))
    return claims


_ANY = object()


def test_docs_have_commands_and_known_markers():
    params = list(_commands())
    assert len(params) >= 10
    for param in params:
        doc, _, command = param.values
        marker = _marker(command)
        if marker.startswith("needs:"):
            assert _needs(marker) in _NEEDS, f"{doc}: unknown marker in `{command}` (use one of {_NEEDS})"
        if marker.startswith("fails:"):
            assert _quoted(marker) is not None, f"{doc}: `# fails: \"TEXT\"` needs its TEXT in double quotes"
        if marker.startswith("shows"):
            assert _claims(marker), f"{doc}: `# shows KEY: VALUE` in `{command}`"
    # the claims this suite checks are really there (a marker renamed by mistake would silently check nothing)
    markers = [_marker(p.values[2]) for p in params]
    assert sum(m.startswith("fails") for m in markers) >= 10
    assert sum(m.startswith("shows") for m in markers) >= 2


def test_markers_are_understood():
    assert _claims("shows sequence: [export_pytorch, count_nodes, set_success] and node_count") == [
        ("sequence", ["export_pytorch", "count_nodes", "set_success"]), ("node_count", _ANY)]
    assert _quoted('fails: "unknown device \'tpu\' (available: nvidia, x86; ...)"') == \
        "unknown device 'tpu' (available: nvidia, x86; ...)"
    assert _needs("needs: gpu (8 jobs)") == "gpu" and _needs("a comment") is None
    assert _matches("unknown device 'tpu' (available: nvidia, x86; ...)",
                    "benchit: error: unknown device 'tpu' (available: nvidia, x86; add your own with --config-dir)")
    assert not _matches("unknown device 'tpu' (available: x86; ...)", "unknown device 'tpu' (available: nvidia, x86)")


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


# ------------------------------------------------------------------------------------ running the commands
def _matches(text: str, line: str) -> bool:
    """`text` is in `line`, `...` in it standing for anything."""
    return re.search(".*?".join(re.escape(part) for part in text.split("...")), line) is not None


def _run(command: str, cwd: Path, cache: Path, repo: bool = False) -> subprocess.CompletedProcess:
    env = benchit_env(cache)
    # `benchit` and `python` are this interpreter's (its venv's bin/), as for a reader whose venv is active
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if repo:
        env.setdefault("BENCHIT_BENCH_QUICK", "1")
        env["PYTEST_ADDOPTS"] = _ONE_FAULT
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


@dataclass
class _Page:
    """A page's folder, and how many of its commands have run there."""

    doc: str
    folder: Path
    done: int = 0
    outputs: list = field(default_factory=list)


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    made: dict[str, _Page] = {}

    def page_at(doc: str, index: int) -> _Page:
        """The page's folder with its commands before `index` run (replayed in a fresh folder if needed)."""
        page = made.get(doc)
        if page is None or page.done > index:
            folder = tmp_path_factory.mktemp(re.sub(r"\W", "_", doc))
            shutil.copytree(REPO / "examples", folder / "examples", ignore=shutil.ignore_patterns("__pycache__"))
            page = made[doc] = _Page(doc, folder)
        commands = _page_commands(next(d for d in DOCS if d.name == doc))
        for earlier in commands[page.done:index]:
            marker = _marker(earlier)
            if marker.startswith("fails") or _needs(marker):
                continue  # makes nothing a later command needs
            proc = _run(earlier, page.folder, page.folder / "cache")
            assert proc.returncode == 0, (f"{doc}: `{earlier}` (run before the command under test) exited "
                                          f"{proc.returncode}\n{(proc.stdout + proc.stderr)[-3000:]}")
        page.done = index
        return page

    return page_at


def _yaml_of(output: str):
    """The YAML a command printed after its `Info:` header lines."""
    body = "\n".join(line for line in output.splitlines() if not line.startswith(("Info:", "Warning:")))
    return yaml.safe_load(body)


def _find(data, key: str):
    """The value of `key` at the top of `data`, else anywhere below it; _ANY when absent."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find(value, key)
            if found is not _MISSING:
                return found
    elif isinstance(data, list):
        for value in data:
            found = _find(value, key)
            if found is not _MISSING:
                return found
    return _MISSING


_MISSING = object()


@pytest.mark.slow
@pytest.mark.parametrize("doc, index, command", list(_commands()))
def test_documented_command_runs(doc, index, command, pages):
    marker = _marker(command)
    needs = _needs(marker)
    if needs == "gpu" and not HAS_GPU:
        pytest.skip("needs an NVIDIA GPU: none on this machine")
    if needs in ("cluster", "ray"):
        pytest.skip({"cluster": "needs a Slurm cluster (tests/clusters runs the launcher against one)",
                     "ray": "needs hydra-ray-launcher in its own venv (docs/studies.md)"}[needs])
    page = pages(doc, index)
    if needs == "repo":
        proc = _run(command, REPO, page.folder / "cache", repo=True)
    else:
        proc = _run(command, page.folder, page.folder / "cache")
    page.done = index + 1
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, f"{doc}: `{command}` printed a traceback\n{output[-3000:]}"
    if marker.startswith("fails"):
        assert proc.returncode != 0, f"{doc}: `{command}` should fail\n{output}"
        errors = [line for line in output.splitlines() if _ERROR_LINE.match(line)]
        assert len(errors) == 1, f"{doc}: `{command}` should say what is wrong in one line, not:\n" + "\n".join(errors)
        text = _quoted(marker)
        assert text is None or _matches(text, errors[0]), f"{doc}: `{command}` should say {text!r}, not {errors[0]!r}"
        return
    assert proc.returncode == 0, f"{doc}: `{command}` exited {proc.returncode}\n{output[-3000:]}"
    if marker.startswith("expect:"):
        text = marker[len("expect:"):].strip()
        assert _matches(text, output), f"{doc}: `{command}` should print {text!r}\n{output[-3000:]}"
    claims = _claims(marker)
    if claims:
        shown = _yaml_of(proc.stdout)
        for key, value in claims:
            found = _find(shown, key)
            assert found is not _MISSING, f"{doc}: `{command}` shows no {key}\n{proc.stdout[-3000:]}"
            assert value is _ANY or found == value, f"{doc}: `{command}` shows {key}: {found}, not {value}"


# ------------------------------------------------------------------------------------ the Python blocks
_PYTHON = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_FILE_HEADER = re.compile(r"^# ([\w./-]+\.(?:py|yaml))\s*$")


def _python_blocks():
    for doc in DOCS:
        for index, block in enumerate(_PYTHON.findall(doc.read_text(encoding="utf-8"))):
            yield pytest.param(doc.name, block, id=f"{doc.name}: python block {index + 1}")


def _file_shown(block: str) -> Path | None:
    """The repository file a block shows, when its first line names one (`# my_conf/my_stages.py`)."""
    header = _FILE_HEADER.match(block.splitlines()[0]) if block.strip() else None
    if not header:
        return None
    name = header.group(1)
    found = [p for p in (REPO / name, REPO / "examples" / name, *(REPO / "examples").rglob(name)) if p.is_file()]
    return found[0] if found else None


def test_docs_have_python_blocks():
    assert len(list(_python_blocks())) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("doc, block", list(_python_blocks()))
def test_documented_python_runs(doc, block, tmp_path):
    """Every Python block runs as pasted (in a folder with examples/, as a reader in the checkout has), or, when it
    shows a file of the repository (`# my_conf/my_stages.py` as its first line), is that file's text."""
    shown = _file_shown(block)
    if shown is not None:
        body = "\n".join(block.splitlines()[1:]).strip()
        assert body in shown.read_text(encoding="utf-8"), f"{doc}: the block is not the text of {shown}"
        return
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "block.py").write_text(block, encoding="utf-8")
    proc = subprocess.run([sys.executable, "block.py"], cwd=tmp_path, env=benchit_env(tmp_path / "cache"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{doc}: this block fails as pasted:\n{block}\n{proc.stderr[-3000:]}"
