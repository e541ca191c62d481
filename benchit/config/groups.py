"""Where the shipped configs live, the config groups and their options: read without importing Hydra.

`benchit --help` lists the options, and `device=tpu` is one line with a suggestion before Hydra starts
(the CLI and the Python API both check overrides here).
"""

from __future__ import annotations

import difflib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # benchit/


def _shipped_dir(name: str) -> Path:
    """conf/ and examples/ are top-level in the repository and mapped into the package in a wheel."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


CONF_DIR = _shipped_dir("conf")
EXAMPLES_DIR = _shipped_dir("examples")
# Config groups that a user selects with `group=option`.
GROUPS = ("input", "device", "sequence", "cache", "experiment")


def group_options(group: str, extra_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The options of a config group (YAML files in conf/<group>/ and in any --config-dir)."""
    names = set()
    for base in (CONF_DIR, *extra_dirs):
        folder = Path(base) / group
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)


def config_dirs_in(argv: list[str]) -> tuple[Path, ...]:
    """The folders given with --config-dir / -cd."""
    dirs = []
    for i, arg in enumerate(argv):
        if arg in ("--config-dir", "-cd") and i + 1 < len(argv):
            dirs.append(Path(argv[i + 1]))
        elif arg.startswith("--config-dir="):
            dirs.append(Path(arg.split("=", 1)[1]))
    return tuple(dirs)


def did_you_mean(word: str, known: list[str]) -> str:
    """"did you mean x86? " for a near miss, else ""."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


def check_group_options(argv: list[str]) -> str | None:
    """`device=x68` -> "unknown device 'x68' (did you mean x86? available: nvidia, x86; ...)", or None."""
    config_dirs = config_dirs_in(argv)
    for dir_ in config_dirs:
        if not dir_.is_dir():
            return f"config dir not found: {dir_} (--config-dir takes a folder of your own config groups)"
    for arg in argv:
        if arg.startswith("-") or "=" not in arg:
            continue
        key, value = arg.split("=", 1)
        key = key.lstrip("+~")
        if key not in GROUPS or value in ("", "null"):
            continue
        available = group_options(key, config_dirs)
        for option in value.split(","):
            option = option.strip()
            if option and option not in available:
                return (f"unknown {key} '{option}' ({did_you_mean(option, available)}available: "
                        f"{', '.join(available) or 'none'}; add your own with --config-dir)")
    return None
