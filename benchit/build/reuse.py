"""Whether a build config already in the cache can be used as it is, and loading it when it can.

A build is reused only when it finished, is not lean, and every file the benchmark reads (the model, its
external data, the inputs) holds what the build wrote: sizes first (a truncated file), then SHA-256 (an
in-place change keeps the size). The inputs are loaded without pickle. Anything else is rebuilt, with the
reason in the state.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchit.cache.layout import Build
from benchit.errors import one_line
from benchit.records import BuildState, BuildStatus


def heavy_files(artifacts: list[str]) -> list[str]:
    """The files a build needs to be reused: its model files and captured inputs."""
    return [a for a in artifacts if a.startswith("onnx/") or a == "inputs.npz"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def previous_state(build: Build, key: str) -> tuple[BuildState | None, str | None]:
    """The build's current state, and why it cannot be reused as it is (None: it can)."""
    try:
        state = build.load_state()
    except FileNotFoundError:
        return None, None
    except Exception as error:  # not valid YAML, another benchit's layout, a field of the wrong type
        return None, f"its state file cannot be read ({one_line(error, 160)})"
    status = state.build_status
    if status in (BuildStatus.RUNNING, BuildStatus.NOT_STARTED):
        return state, f"the previous build was interrupted during {state.current_stage or 'start-up'}"
    if status is BuildStatus.FAILED:
        return state, f"the previous build failed{' in ' + state.failed_stage if state.failed_stage else ''}"
    if state.lean:
        return state, "its files were deleted (lean cache)"
    if state.config.build_key != key:
        return state, "its state names another build key (edited by hand?)"
    return state, None


def damaged_file(build: Build, state: BuildState) -> str | None:
    """Why the files a reuse needs are not what the build wrote, or None when they are."""
    onnx_file = build.dir / state.onnx_file if state.onnx_file else None
    needed = [build.dir / a for a in heavy_files(state.artifacts)]
    if onnx_file is None or not onnx_file.is_file() or not all(p.is_file() for p in needed):
        return "build files are missing"
    for path in dict.fromkeys([onnx_file, *needed]):
        name = str(path.relative_to(build.dir))
        expected, actual = state.artifact_bytes.get(name), path.stat().st_size
        if expected is not None and actual != expected:
            return f"{name} is damaged ({actual} bytes; the build wrote {expected})"
    used = [p for p in needed if p.name.startswith(onnx_file.name) or p == build.inputs_path]
    for path in dict.fromkeys([onnx_file, *used]):
        name = str(path.relative_to(build.dir))
        expected = state.artifact_sha256.get(name)
        if expected is not None and file_sha256(path) != expected:
            return f"{name} is damaged (its contents changed since the build wrote it)"
    return None


def load_inputs(build: Build) -> dict | str:
    """The captured inputs, never unpickled; a string says why they cannot be read."""
    import numpy as np

    if not build.inputs_path.is_file():
        return {}
    try:
        with np.load(build.inputs_path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except Exception as error:
        return f"inputs.npz cannot be read safely ({one_line(error, 120)})"
