"""Which scripts a job analyzes: the `input` config group, script paths and globs, labels."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional


@dataclass
class InputConfig:
    script: Optional[str] = None  # one script
    scripts: List[str] = field(default_factory=list)  # several scripts or globs
    search_dir: Optional[str] = None  # every *.py in this folder (tutorial: --all -s DIR)
    hashes: List[str] = field(default_factory=list)  # build/benchmark only these models (script.py::HASH)
    script_args: str = ""  # sys.argv[1:] for the script
    labels: List[str] = field(default_factory=list)  # keep only scripts whose labels match (key::value)

    @property
    def several_scripts(self) -> bool:
        return bool(self.scripts or self.search_dir)


class InputError(Exception):
    """Bad input found before any work started; the message is the one line the user sees."""


def resolve_scripts(config: InputConfig) -> list[Path]:
    """input.script, input.scripts (paths or globs) and input.search_dir, in that order, deduplicated."""
    wanted = ([str(config.script)] if config.script else []) + [str(s) for s in config.scripts]
    scripts: list[Path] = []
    for item in wanted:
        path = Path(os.path.expanduser(item))
        if any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(item), recursive=True) if p.endswith(".py"))
            if not matches:
                raise InputError(f"no script matches '{item}'")
            scripts.extend(matches)
            continue
        if not path.exists():
            raise InputError(f"script not found: {item} (give a path to a .py file, or input=<name> for a shipped "
                             "example)")
        if path.is_dir() or path.suffix != ".py":
            raise InputError(f"not a Python script: {item} (benchit runs .py files; for a folder use "
                             "input.search_dir)")
        scripts.append(path)
    if config.search_dir:
        folder = Path(os.path.expanduser(str(config.search_dir)))
        if not folder.is_dir():
            raise InputError(f"search directory not found: {config.search_dir}")
        scripts.extend(sorted(p for p in folder.glob("*.py") if not p.name.startswith("_")))
    if not scripts:
        raise InputError("no input script: give one with input.script=path/to/script.py (or input=hello_world)")
    return list(dict.fromkeys(script.resolve() for script in scripts))


def read_labels(script: Path) -> dict[str, str]:
    """`# labels: name::bert author::huggingface` on the script's first line."""
    try:
        with open(script, encoding="utf-8", errors="replace") as f:
            first = f.readline()
    except OSError:
        return {}
    if not first.lstrip().startswith("# labels:"):
        return {}
    labels = {}
    for item in first.split(":", 1)[1].split():
        key, sep, value = item.partition("::")
        if sep:
            labels[key] = value
    return labels


def parse_label_filter(wanted: list[str]) -> dict[str, set[str]]:
    """["author::huggingface", "task::fill_mask,qa"] -> {"author": {"huggingface"}, "task": {"fill_mask", "qa"}}."""
    required: dict[str, set[str]] = {}
    for item in wanted:
        key, sep, value = str(item).partition("::")
        if not sep or not key.strip():
            raise InputError(f"bad label '{item}': write labels as key::value, e.g. input.labels=[author::huggingface]")
        required.setdefault(key.strip(), set()).update(v.strip() for v in value.split(",") if v.strip())
    return required


def labels_match(labels: dict[str, str], required: dict[str, set[str]]) -> bool:
    """Values of one key are alternatives; every key must match."""
    return all(labels.get(key) in values for key, values in required.items())


def select_by_labels(scripts: list[Path], wanted: list[str]) -> list[Path]:
    """Keep scripts whose first-line labels match `input.labels`."""
    if not wanted:
        return scripts
    required = parse_label_filter(wanted)
    kept = [script for script in scripts if labels_match(read_labels(script), required)]
    if not kept:
        raise InputError(f"no script has the labels {' '.join(str(w) for w in wanted)} "
                         f"(of {len(scripts)} script(s); labels are read from a first line like "
                         "'# labels: name::bert author::huggingface')")
    return kept
