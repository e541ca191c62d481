"""Options -> Hydra overrides: the one translation the tutorial's flags and the Python API share.

    to_overrides({"device": "nvidia", "cache_dir": "tmp", "max_depth": 1})
    -> ["device=nvidia", "cache.dir='/abs/tmp'", "max_depth=1"]

Config groups (input, device, sequence, cache) are selected by option name; every other option
names one config key. Paths are made absolute, so a run means the same from any directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchit.config.groups import GROUPS

# option name -> config key
OPTION_KEYS = {
    "cache_dir": "cache.dir",
    "lean_cache": "cache.lean",
    "rebuild": "cache.rebuild",
    "runtime": "device.runtime",
    "threads": "device.threads",
    "script_args": "input.script_args",
    "hashes": "input.hashes",
    "search_dir": "input.search_dir",
    "labels": "input.labels",
    "max_depth": "max_depth",
    "batch_size": "batch_size",
    "mode": "mode",
    "timeout": "timeout",
    "resume": "resume",
    "verbose": "verbose",
    "strict": "build.strict",
    "sequence_file": "sequence.file",
}
PATH_OPTIONS = ("cache_dir", "search_dir", "sequence_file")
LIST_OPTIONS = ("hashes", "labels")
GROUP_OPTIONS = tuple(g for g in GROUPS if g != "experiment")  # experiments are sweeps: `+experiment=` only


class UnknownOption(ValueError):
    pass


def hydra_quote(value: str) -> str:
    """Quote a value for Hydra's override grammar (paths with spaces, commas, quotes...)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def hydra_value(value: Any) -> str:
    """A Python value written in Hydra's override grammar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return str(value)
    return hydra_quote(str(value))


def to_overrides(options: dict[str, Any]) -> list[str]:
    """Options -> overrides, in the order given; options whose value is None are left out."""
    overrides = []
    for key, value in options.items():
        if value is None:
            continue
        if key in GROUP_OPTIONS:
            overrides.append(f"{key}={value}")
        elif key in OPTION_KEYS:
            if key in PATH_OPTIONS:
                value = str(Path(value).expanduser().resolve())
            elif key in LIST_OPTIONS and isinstance(value, str):
                value = [value]
            overrides.append(f"{OPTION_KEYS[key]}={hydra_value(value)}")
        else:
            raise UnknownOption(f"unknown option {key}= (use one of: {', '.join([*GROUP_OPTIONS, *OPTION_KEYS])}; "
                                "or pass any key as overrides=['key=value'])")
    return overrides


def without_default_script(overrides: list[str]) -> list[str]:
    """`input.scripts=[a,b]` or `input.search_dir=DIR` alone means those scripts, not those and the default
    input's hello_world: the default's script is dropped unless the overrides name one (input=, input.script=)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o}
    if keys & {"input.scripts", "input.search_dir"} and not keys & {"input", "input.script"}:
        # beside the other overrides: Hydra's parser takes them as one run of positional arguments
        first = next(i for i, o in enumerate(overrides) if "=" in o and not o.startswith("-"))
        return [*overrides[:first], "input.script=null", *overrides[first:]]
    return overrides
