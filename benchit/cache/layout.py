"""Where things live in the cache.

    <cache>/<build>/                one folder per build: `<script stem>_<model hash>[_<invocation>]`
    <cache>/<build>/<build>_state.yaml   config, sequence, status, stage timings, artifacts, versions
    <cache>/<build>/<build>_stats.yaml   model facts, validation errors, benchmarks keyed by device/runtime
    <cache>/<build>/log_<stage>.txt      what each stage printed (and its traceback if it failed)
    <cache>/<build>/onnx/                the model files each stage wrote
    <cache>/<build>/inputs.npz           the inputs the script really used (numpy, never pickle)
    <cache>/runs/, <cache>/sweeps/       one folder per `benchit` run / multirun (Hydra's output dirs)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CACHE_DIR = "~/.cache/benchit"
STATE_SUFFIX = "_state.yaml"
STATS_SUFFIX = "_stats.yaml"
# Folders in the cache that are not builds.
RESERVED_NAMES = {"runs", "sweeps", "labels", "reports", ".locks"}
# The newest state/stats layout this benchit reads; a build written by a newer benchit is reported, not guessed at.
SUPPORTED_STATE_VERSION = 1
# Longest build name a command accepts (file systems allow 255 bytes; the state file adds a suffix).
MAX_BUILD_NAME = 200
_BUILD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")


def resolve_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache folder: an explicit value, else $BENCHIT_CACHE_DIR, else ~/.cache/benchit."""
    value = cache_dir or os.environ.get("BENCHIT_CACHE_DIR") or DEFAULT_CACHE_DIR
    return Path(os.path.expandvars(str(value))).expanduser().absolute()


def is_valid_build_name(name: str) -> bool:
    """A plain folder name: no separators, no '..', nothing hidden, not a reserved folder."""
    return bool(_BUILD_NAME.match(name)) and ".." not in name and name not in RESERVED_NAMES


def safe_build_name(name: str) -> str:
    """Turn any text (a script stem with spaces or unicode) into a valid build-name fragment."""
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("._-") or "script"
    return cleaned[:120]


@dataclass(frozen=True)
class Build:
    """One build folder in a cache."""

    cache_dir: Path
    name: str

    @property
    def dir(self) -> Path:
        return self.cache_dir / self.name

    @property
    def state_path(self) -> Path:
        return self.dir / f"{self.name}{STATE_SUFFIX}"

    @property
    def stats_path(self) -> Path:
        return self.dir / f"{self.name}{STATS_SUFFIX}"

    @property
    def onnx_dir(self) -> Path:
        return self.dir / "onnx"

    @property
    def inputs_path(self) -> Path:
        return self.dir / "inputs.npz"

    def log_path(self, stage_name: str) -> Path:
        return self.dir / f"log_{stage_name}.txt"

    def exists(self) -> bool:
        return self.state_path.is_file()

    def load_state(self) -> dict[str, Any]:
        from benchit.cache.files import read_yaml

        data = read_yaml(self.state_path)
        if not isinstance(data, dict):
            raise ValueError(f"{self.state_path} is not a benchit state file")
        return data

    def load_stats(self) -> dict[str, Any]:
        from benchit.cache.files import read_yaml

        if not self.stats_path.is_file():
            return {}
        data = read_yaml(self.stats_path)
        return data if isinstance(data, dict) else {}


class UnsafeBuildName(ValueError):
    """A name given to a cache command that is not a build folder inside the cache; nothing was touched."""


def find_build(cache_dir: Path, name: str) -> Build:
    """The build folder `name` inside `cache_dir`, or UnsafeBuildName saying why not.

    Only a plain folder name directly inside the cache is accepted: no separators, no '..', no
    absolute path, no NUL, nothing over MAX_BUILD_NAME characters, no symlink (wherever it leads),
    and the folder must hold a benchit state or stats file named after it.
    """
    shown = repr(name) if any(ord(ch) < 32 for ch in name) else name
    if "\0" in name:
        raise UnsafeBuildName(f"{shown}: a build name cannot contain a NUL character")
    if len(name) > MAX_BUILD_NAME:
        raise UnsafeBuildName(f"{shown[:40]}...: a build name has at most {MAX_BUILD_NAME} characters")
    if not name.strip():
        raise UnsafeBuildName("an empty build name")
    if os.path.isabs(name) or name.startswith("~"):
        raise UnsafeBuildName(f"{shown}: give a build name from `benchit cache list`, not a path")
    if "/" in name or "\\" in name or name in (".", "..") or ".." in name:
        raise UnsafeBuildName(f"{shown}: a build name is a folder name inside the cache (no '/', no '..')")
    if name in RESERVED_NAMES:
        raise UnsafeBuildName(f"{shown}: not a build, benchit keeps its own {name}/ folder there")
    if not is_valid_build_name(name):
        raise UnsafeBuildName(f"{shown}: not a benchit build name (letters, digits, '_', '.', '-')")
    build = Build(cache_dir, name)
    path = build.dir
    if os.path.islink(path):
        raise UnsafeBuildName(f"{shown}: a symlink ({path} -> {os.readlink(path)}), not a build folder; "
                              "benchit never follows links out of the cache")
    if not path.exists():
        raise UnsafeBuildName(f"{shown}: no such build in cache {cache_dir} (see `benchit cache list`)")
    if not path.is_dir():
        raise UnsafeBuildName(f"{shown}: not a build folder")
    if os.path.realpath(path.parent) != os.path.realpath(cache_dir):
        raise UnsafeBuildName(f"{shown}: outside the cache {cache_dir}")
    markers = (build.state_path, build.stats_path)
    if not any(os.path.lexists(m) for m in markers):
        raise UnsafeBuildName(f"{shown}: not a benchit build (no {name}{STATE_SUFFIX} in it)")
    if any(os.path.islink(m) for m in markers):
        raise UnsafeBuildName(f"{shown}: its state file is a symlink; not a build benchit wrote")
    return build


def list_builds(cache_dir: Path) -> list[str]:
    """Names of the build folders in a cache (folders holding their own state file), sorted."""
    if not cache_dir.is_dir():
        return []
    names = []
    with os.scandir(cache_dir) as entries:
        for entry in entries:
            if entry.name in RESERVED_NAMES or not entry.is_dir(follow_symlinks=False):
                continue
            if os.path.exists(os.path.join(entry.path, entry.name + STATE_SUFFIX)):
                names.append(entry.name)
    return sorted(names)
