"""Names given to the cache commands: a model's folder (`hello_world_479b1332`) or one of its build configs
(`hello_world_479b1332/default-3fa2c1d0`). Anything else is refused with one line saying why, before any
change: no paths, no '..', no NUL, nothing long, no symlink, nothing benchit did not write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchit.cache.layout import (MAX_BUILD_NAME, RESERVED_NAMES, STATE_FILE, Build, config_ids, has_legacy_state,
                                  is_valid_name)


class UnsafeBuildName(ValueError):
    """A name that is not a build inside the cache; nothing was touched."""


@dataclass
class NamedBuilds:
    """What a name given to a command stands for: a model folder and the build configs it selects."""

    name: str  # as given
    model_dir: Path
    builds: list[Build]  # newest first; one when a config was named
    legacy: bool = False  # the folder holds an older benchit's build (state_version 1)


def _check_part(shown: str, part: str, cache_dir: Path) -> None:
    if part in RESERVED_NAMES:
        raise UnsafeBuildName(f"{shown}: not a build, benchit keeps its own {part}/ folder there")
    if not is_valid_name(part):
        raise UnsafeBuildName(f"{shown}: not a benchit build name (letters, digits, '_', '.', '-')")


def find_builds(cache_dir: Path, name: str) -> NamedBuilds:
    """The builds `name` stands for inside `cache_dir`, or UnsafeBuildName saying why not."""
    shown = repr(name) if any(ord(ch) < 32 for ch in name) else name
    if "\0" in name:
        raise UnsafeBuildName(f"{shown}: a build name cannot contain a NUL character")
    if len(name) > MAX_BUILD_NAME:
        raise UnsafeBuildName(f"{shown[:40]}...: a build name has at most {MAX_BUILD_NAME} characters")
    if not name.strip():
        raise UnsafeBuildName("an empty build name")
    if os.path.isabs(name) or name.startswith("~"):
        raise UnsafeBuildName(f"{shown}: give a build name from `benchit cache list`, not a path")
    parts = name.split("/")
    if "\\" in name or len(parts) > 2 or any(p in ("", ".", "..") for p in parts) or ".." in name:
        raise UnsafeBuildName(f"{shown}: a build is MODEL or MODEL/CONFIG as `benchit cache list` prints it "
                              "(no other '/', no '..')")
    for part in parts:
        _check_part(shown, part, cache_dir)
    model_dir = cache_dir / parts[0]
    for path in (model_dir, *([model_dir / parts[1]] if len(parts) == 2 else [])):
        if os.path.islink(path):
            raise UnsafeBuildName(f"{shown}: a symlink ({path} -> {os.readlink(path)}), not a build folder; "
                                  "benchit never follows links out of the cache")
        if not path.exists():
            raise UnsafeBuildName(f"{shown}: no such build in cache {cache_dir} (see `benchit cache list`)")
        if not path.is_dir():
            raise UnsafeBuildName(f"{shown}: not a build folder")
    if os.path.realpath(model_dir.parent) != os.path.realpath(cache_dir):
        raise UnsafeBuildName(f"{shown}: outside the cache {cache_dir}")
    legacy = has_legacy_state(model_dir)
    ids = [parts[1]] if len(parts) == 2 else config_ids(model_dir)
    builds = [Build(cache_dir, parts[0], config_id) for config_id in ids]
    for build in builds:
        if os.path.islink(build.state_path):
            raise UnsafeBuildName(f"{shown}: its state file is a symlink; not a build benchit wrote")
        if len(parts) == 2 and not os.path.lexists(build.state_path):
            raise UnsafeBuildName(f"{shown}: not a benchit build (no {STATE_FILE} in it)")
    if not builds and not legacy:
        raise UnsafeBuildName(f"{shown}: not a benchit build (no build config with a {STATE_FILE} in it)")
    return NamedBuilds(name=name, model_dir=model_dir, builds=builds, legacy=legacy)
