"""Changing the cache: delete a build, clean it (what lean cache removes). Nothing heavy imported.

Every change holds the build's lock without waiting: a build another benchit process is writing
is reported as busy and left alone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml
from filelock import Timeout

from benchit.cache.files import build_lock, read_yaml, write_yaml
from benchit.cache.layout import Build

# What lean cache removes from a build: the model files and the captured inputs. Logs, state and
# stats stay, so results and the reason for a failure are never lost.
LEAN_REMOVES = ("onnx", "inputs.npz")


class BuildBusy(RuntimeError):
    """Another process holds the build's lock."""


def _locked(build: Build, wait: bool = False):
    lock = build_lock(build.dir, timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise BuildBusy(f"{build.name}: another benchit process is using it; try again when it finishes") from None
    return lock


def delete_build(build: Build) -> None:
    """Remove the build folder (never following a link inside it)."""
    lock = _locked(build)
    try:
        if os.path.islink(build.dir):  # re-checked under the lock
            raise BuildBusy(f"{build.name}: became a symlink; left alone")
        shutil.rmtree(build.dir)
    finally:
        lock.release()


def lean_paths(build: Build) -> list[Path]:
    return [build.dir / name for name in LEAN_REMOVES if os.path.lexists(build.dir / name)]


def clean_build(build: Build, wait: bool = False) -> int:
    """Remove what lean cache removes and say so in the state; returns the bytes freed.

    The state is marked first and the files deleted second: a kill in between leaves a state that
    claims nothing, never one that claims deleted files. `wait`: wait for the lock (the worker's
    lean cache) instead of refusing a busy build (the `cache clean` command).
    """
    lock = _locked(build, wait)
    try:
        try:
            state = read_yaml(build.state_path) if build.state_path.is_file() else None
        except yaml.YAMLError as error:  # malformed, or a tag that would construct a Python object
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(f"{build.name}: its state file is not valid YAML ({first}); delete the build "
                             "instead") from None
        if state is not None and not isinstance(state, dict):
            raise ValueError(f"{build.name}: its state file is not a benchit state; delete the build instead")
        if state is not None:
            removed = [a for a in state.get("artifacts") or []
                       if any(a == n or a.startswith(n + "/") for n in LEAN_REMOVES)]
            state["lean"] = True
            state["lean_deleted"] = sorted(set(state.get("lean_deleted") or []) | set(removed))
            state["onnx_file"] = None
            state["artifacts"] = [a for a in state.get("artifacts") or [] if a not in removed]
            write_yaml(build.state_path, state)
        freed = 0
        for path in lean_paths(build):
            if path.is_dir() and not path.is_symlink():
                freed += sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
                shutil.rmtree(path)
            else:
                freed += path.lstat().st_size
                path.unlink()
        return freed
    finally:
        lock.release()
