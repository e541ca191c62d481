"""Whether a build's files still hold what the build wrote: sizes, then SHA-256 (an in-place edit keeps the
size). The builder checks before a reuse, `cache stats` and `report` before they vouch for a build."""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchit.cache.layout import Build
from benchit.records import BuildState


def heavy_files(artifacts: list[str]) -> list[str]:
    """The files a build needs to be reused: its model files and captured inputs."""
    return [a for a in artifacts if a.startswith("onnx/") or a == "inputs.npz"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def damaged_file(build: Build, state: BuildState) -> str | None:
    """Why the files a reuse needs are not what the build wrote, or None when they are."""
    onnx_file = build.dir / state.onnx_file if state.onnx_file else None
    needed = [build.dir / a for a in heavy_files(state.artifacts)]
    missing = [p for p in ([onnx_file] if onnx_file else []) + needed if not p.is_file()]
    if onnx_file is None or missing:
        named = f" ({', '.join(str(p.relative_to(build.dir)) for p in missing)} missing)" if missing else ""
        return f"build files are missing{named}"
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
