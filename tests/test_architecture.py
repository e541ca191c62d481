"""The import rules of docs/architecture.md, checked on the source: imports run one way, top to bottom.

Every `import benchit...` in benchit/ (module level or inside a function: a lazy import is still a
dependency) must go to the same layer or a lower one, stages and devices never import each other, and the
commands that must answer at once (`cache`, `report`, `--help`) never import the heavy libraries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from repo_paths import REPO

PACKAGE = REPO / "benchit"

# Lowest first. A module may import its own layer and the ones below it.
LAYERS = [
    {"benchit.version", "benchit.data", "benchit.errors"},
    {"benchit.records"},
    {"benchit.system", "benchit.tensors", "benchit.config.groups", "benchit.ui"},
    {"benchit.cache"},
    {"benchit.analysis", "benchit.build", "benchit.devices"},
    {"benchit.config.schema", "benchit.config.errors", "benchit.config.overrides", "benchit.config"},
    {"benchit.pipeline", "benchit.results"},
    {"benchit.worker"},
    {"benchit.runner"},
    {"benchit.report"},
    {"benchit.app", "benchit.api", "benchit._hydra_plugins", "benchit.commands", "benchit.callbacks"},
    {"benchit.cli", "benchit.__main__", "benchit"},
]
HEAVY = ("torch", "tensorflow", "keras", "onnxruntime", "onnx", "hydra", "omegaconf", "numpy", "pandas",
         "transformers", "openvino", "matplotlib")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found.extend((f"{node.module}.{a.name}", node.lineno) for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names)
    return found


def _layer(module: str) -> int | None:
    best, best_len = None, -1
    for level, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best_len:
                best, best_len = level, len(name)
    return best


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    assert [m for m in map(_module_name, MODULES) if _layer(m) is None] == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_go_down(path):
    mine = _layer(_module_name(path))
    upward = []
    for target, line in _imports(path):
        if not target.startswith("benchit"):
            continue
        level = _layer(target)
        if level is not None and level > mine:
            upward.append(f"line {line}: {target}")
    assert upward == [], f"{_module_name(path)} imports a higher layer"


@pytest.mark.parametrize("package, forbidden", [
    ("benchit.build", "benchit.devices"),  # a stage never imports a device ...
    ("benchit.devices", "benchit.build"),  # ... and a device never imports a stage: the pipeline connects them
    ("benchit.analysis", "benchit.build"),
    ("benchit.analysis", "benchit.devices"),
])
def test_siblings_do_not_import_each_other(package, forbidden):
    offenders = [f"{_module_name(p)} line {line}" for p in MODULES if _module_name(p).startswith(package)
                 for target, line in _imports(p) if target.startswith(forbidden)]
    assert offenders == []


@pytest.mark.parametrize("package", ["benchit.cache", "benchit.report", "benchit.commands", "benchit.records",
                                     "benchit.data", "benchit.config.groups", "benchit.cli", "benchit.ui"])
def test_fast_commands_import_nothing_heavy(package):
    """`benchit cache`, `report` and `--help` answer at once: not even a lazy import of a heavy library (the
    report's --plot is matplotlib's one exception, in report/plot.py)."""
    allowed = {"benchit.report.plot": {"matplotlib"}}
    offenders = []
    for path in MODULES:
        name = _module_name(path)
        if name != package and not name.startswith(package + "."):
            continue
        for target, line in _imports(path):
            top = target.split(".")[0]
            if top in HEAVY and top not in allowed.get(name, set()):
                offenders.append(f"{name} line {line}: {target}")
    assert offenders == []


def test_no_file_is_over_350_lines():
    long = {_module_name(p): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert long == {}
