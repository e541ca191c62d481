"""Changing the cache: delete builds, clean a build (what lean cache removes). Nothing heavy imported.

Every change holds the build config's lock without waiting: a build another benchit process is writing is
reported as busy and left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from filelock import Timeout

from benchit.cache.files import build_lock, write_record
from benchit.cache.layout import Build
from benchit.cache.names import NamedBuilds

# What lean cache removes from a build: the model files and the captured inputs. Logs, state and
# stats stay, so results and the reason for a failure are never lost.
LEAN_REMOVES = ("onnx", "inputs.npz")


class BuildBusy(RuntimeError):
    """Another process holds the build's lock."""


@contextlib.contextmanager
def locked(build: Build, wait: bool = False):
    lock = build_lock(build, timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise BuildBusy(f"{build.id}: another benchit process is using it; try again when it finishes") from None
    try:
        yield
    finally:
        lock.release()


def in_use(build: Build) -> bool:
    """Whether a benchit process holds the build's lock now (building or recording into it)."""
    lock = build_lock(build, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # a read-only cache: nobody can be writing it
        return False
    lock.release()
    return False


def delete(named: NamedBuilds) -> None:
    """Remove the named build configs (a whole model folder when the model was named), never following links."""
    with contextlib.ExitStack() as stack:
        for build in named.builds:  # every config is ours before anything goes
            stack.enter_context(locked(build))
        whole = "/" not in named.name
        target = named.model_dir if whole else named.builds[0].dir
        if os.path.islink(target):  # re-checked under the locks
            raise BuildBusy(f"{named.name}: became a symlink; left alone")
        shutil.rmtree(target)


def clean_build(build: Build, wait: bool = False) -> int:
    """Remove what lean cache removes and say so in the state; returns the bytes freed.

    The state is marked first and the files deleted second: a kill in between leaves a state that claims
    nothing, never one that claims deleted files. `wait`: wait for the lock (the worker's lean cache) instead
    of refusing a busy build (the `cache clean` command).
    """
    with locked(build, wait):
        if build.state_path.is_file():
            state = build.load_state()  # ValueError: not a state benchit can read; nothing touched
            removed = [a for a in state.artifacts if any(a == n or a.startswith(n + "/") for n in LEAN_REMOVES)]
            state.lean = True
            state.lean_deleted = sorted(set(state.lean_deleted) | set(removed))
            state.onnx_file = None
            state.artifacts = [a for a in state.artifacts if a not in removed]
            write_record(build.state_path, state)
        freed = 0
        for path in (build.dir / name for name in LEAN_REMOVES):
            if not os.path.lexists(path):
                continue
            if path.is_dir() and not path.is_symlink():
                freed += _size(path)
                shutil.rmtree(path)
            else:
                freed += path.lstat().st_size
                path.unlink()
        return freed


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def remove_legacy(model_dir: Path) -> bool:
    """Delete an older benchit's build files from the top of a model's folder (state_version 1: no build
    configs); its build configs, if any, stay. Returns whether anything was removed."""
    from benchit.cache.layout import LEGACY_STATE_SUFFIX

    name = model_dir.name
    legacy = [model_dir / f"{name}{LEGACY_STATE_SUFFIX}", model_dir / f"{name}_stats.yaml", model_dir / "inputs.npz",
              model_dir / "onnx", *model_dir.glob("log_*.txt")]
    removed = False
    for path in legacy:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed = True
        elif os.path.lexists(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed = True
    return removed
