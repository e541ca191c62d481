"""Run a sequence into a cache folder: state, logs, validation, reuse, locking."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchit.build.sequence import Sequence
from benchit.build.stage import BuildContext
from benchit.build.tensors import feeds_for, flatten_arrays, max_errors
from benchit.cache.files import build_lock, write_yaml
from benchit.capture import redirect_output
from benchit.version import __version__

STATE_VERSION = 1


class BuildError(Exception):
    """A build that cannot be used; the message is the one-line status users see."""


@dataclass
class BuildResult:
    status: str  # "successful" | "partial" | "failed"
    from_cache: bool = False
    onnx_file: Path | None = None
    inputs: dict = field(default_factory=dict)  # ONNX input name -> numpy array
    message: str = ""  # failure or warning text for the status line
    warnings: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("successful", "partial")


def library_versions() -> dict[str, str]:
    versions = {"benchit": __version__, "python": platform.python_version()}
    import importlib.metadata as md

    for package in ("torch", "onnx", "onnxruntime", "onnxruntime-gpu", "onnxscript", "onnxconverter-common",
                    "tensorflow", "keras", "tf2onnx"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return versions


def build_key(model_hash: str, signature: Any, sequence: Sequence, framework: str) -> str:
    """What must match for a cached build to be reused."""
    text = json.dumps(
        {"model": model_hash, "inputs": repr(signature), "framework": framework,
         "sequence": sequence.describe(), "benchit": __version__},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_invocation(
    ctx: BuildContext,
    sequence: Sequence,
    *,
    key: str,
    rebuild: str = "if_needed",
    strict: bool = False,
    extra_state: dict | None = None,
) -> BuildResult:
    """Build one model invocation into `ctx.build`, or reuse what the cache already holds."""
    build = ctx.build
    with build_lock(build.dir):
        cached = _reusable(build, key) if rebuild != "always" else None
        if cached is not None:
            return cached
        if rebuild == "never":
            return BuildResult(status="failed", message="no usable build in the cache and cache.rebuild=never")
        return _build(ctx, sequence, key, strict, extra_state or {})


def _reusable(build, key: str) -> BuildResult | None:
    try:
        state = build.load_state()
    except Exception:
        return None
    if state.get("build_status") not in ("successful", "partial") or state.get("config", {}).get("build_key") != key:
        return None
    onnx_file = build.dir / state["onnx_file"] if state.get("onnx_file") else None
    if onnx_file is None or not onnx_file.is_file() or not build.inputs_path.is_file():
        return None  # lean cache or a deleted artifact: never a cache hit on missing files
    try:
        with np.load(build.inputs_path, allow_pickle=False) as data:
            inputs = {name: data[name] for name in data.files}
    except Exception:
        return None
    return BuildResult(status=state["build_status"], from_cache=True, onnx_file=onnx_file, inputs=inputs,
                       warnings=list(state.get("warnings") or []), state=state)


def _build(ctx: BuildContext, sequence: Sequence, key: str, strict: bool, extra_state: dict) -> BuildResult:
    build = ctx.build
    build.dir.mkdir(parents=True, exist_ok=True)
    for stale in [build.onnx_dir, build.inputs_path, *build.dir.glob("log_*.txt")]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    names = sequence.stage_names(ctx.framework)
    state: dict[str, Any] = {
        "state_version": STATE_VERSION,
        "build_name": build.name,
        "build_status": "running",
        "cache_dir": str(build.cache_dir),
        "config": {"build_name": build.name, "build_key": key, "sequence_name": sequence.name,
                   "sequence": names, "stages": sequence.describe(), **extra_state},
        "sequence": names,
        "current_stage": None,
        "completed_stages": [],
        "stage_seconds": {},
        "validation": {},
        "warnings": [],
        "versions": library_versions(),
        "lean": False,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_yaml(build.state_path, state)
    result = BuildResult(status="running", state=state)
    for stage, name in zip(sequence.stages, names):
        state["current_stage"] = name
        write_yaml(build.state_path, state)
        log = build.log_path(name)
        start = time.perf_counter()
        try:
            with redirect_output(log):
                stage.run(ctx)
                if stage.writes_model and ctx.onnx_file is not None:
                    check = _validate(ctx, stage.tolerance)
                    print(f"validation: {check}")
        except Exception as error:
            with open(log, "a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
            state["stage_seconds"][name] = round(time.perf_counter() - start, 4)
            reason = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
            result.message = f"{name} failed: {reason}; log: {log}"
            return _finish(result, state, ctx, "failed", failed_stage=name)
        state["stage_seconds"][name] = round(time.perf_counter() - start, 4)
        state["completed_stages"].append(name)
        if stage.writes_model and ctx.onnx_file is not None:
            state["validation"][name] = check
            if not check["ok"]:
                text = (f"{name} changed outputs by {check['max_abs_error']:.1e} "
                        f"(tolerance {check['tolerance']:.0e})")
                state["warnings"].append(text)
                if strict:
                    result.message = f"{text}; build.strict=true"
                    return _finish(result, state, ctx, "failed", failed_stage=name)
        if name == sequence.stage_names(ctx.framework)[0] and ctx.inputs:
            np.savez(build.inputs_path, **ctx.inputs)
    status = ctx.facts.pop("build_status", "partial")
    return _finish(result, state, ctx, status)


def _finish(result: BuildResult, state: dict, ctx: BuildContext, status: str, failed_stage: str | None = None):
    state.update(ctx.facts)
    state["build_status"] = status
    state["current_stage"] = None
    if failed_stage:
        state["failed_stage"] = failed_stage
        state["error"] = result.message
    if ctx.onnx_file is not None and ctx.onnx_file.exists():
        state["onnx_file"] = str(ctx.onnx_file.relative_to(ctx.build.dir))
    state["artifacts"] = sorted(str(p.relative_to(ctx.build.dir)) for p in ctx.build.dir.rglob("*")
                                if p.is_file() and not p.name.endswith(".yaml"))
    write_yaml(ctx.build.state_path, state)
    result.status, result.state = status, state
    result.onnx_file, result.inputs = ctx.onnx_file, ctx.inputs
    result.warnings = list(state["warnings"])
    return result


def _validate(ctx: BuildContext, tolerance: float | None) -> dict[str, Any]:
    """Run the new model file on the script's inputs and compare with the framework's outputs."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(ctx.onnx_file), providers=["CPUExecutionProvider"])
    feeds = feeds_for(session.get_inputs(), list(ctx.inputs.items()))
    outputs = session.run(None, feeds)
    errors = max_errors(ctx.reference_outputs, outputs)
    tolerance = 1e-4 if tolerance is None else float(tolerance)
    return {**errors, "tolerance": tolerance, "ok": errors["max_abs_error"] <= tolerance}


def reference_outputs(outputs: Any) -> list[np.ndarray]:
    return [array for _, array in flatten_arrays(outputs)]
