"""Run a sequence into a cache folder: state, logs, validation, reuse, locking."""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchit.build.sequence import Sequence
from benchit.build.stage import BuildContext
from benchit.build.stages import one_line
from benchit.build.tensors import feeds_for, flatten_arrays, max_errors, short_float
from benchit.cache.files import build_lock, write_yaml
from benchit.cache.layout import SUPPORTED_STATE_VERSION  # the one state version: written here, read by cache/report
from benchit.capture import redirect_output
from benchit.quiet import machine_lock
from benchit.version import __version__



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
    fallback_log_dir: Path | None = None,
) -> BuildResult:
    """Build one model invocation into `ctx.build`, or reuse what the cache already holds.

    rebuild: "if_needed" reuses a successful (or partial) build whose key matches and whose files
    are all present; "always" rebuilds; "never" reuses any usable build and fails if there is none.
    A failed or interrupted build (a process killed mid-stage) is never reused.
    `fallback_log_dir` receives the log when the build folder itself cannot be written.
    """
    build = ctx.build
    first = sequence.stage_names(ctx.framework)[0] if sequence.stages else "build"
    try:
        lock = build_lock(build.dir)
        lock.acquire()
    except OSError as error:
        return _unwritable(ctx, first, error, fallback_log_dir)
    try:
        previous, reason = _previous(build, key)
        if rebuild != "always" and previous is not None and (reason is None or rebuild == "never"):
            cached = _reuse(build, previous)
            if isinstance(cached, str):  # a file it needs is missing, damaged or unsafe to load
                reason, cached = reason or cached, None
            if cached is not None and strict:
                failed = [n for n, v in (previous.get("validation") or {}).items() if not v.get("ok", True)]
                if failed:
                    cached.status = "failed"
                    cached.message = (f"{failed[0]} failed: {cached.warnings[0] if cached.warnings else 'outputs changed'}"
                                      f" and build.strict=true; log: {build.log_path(failed[0])}")
                    return cached
            if cached is not None:
                if reason:
                    cached.warnings.append(f"reused a build made with another configuration ({reason}; "
                                           "cache.rebuild=never)")
                return cached
            reason = reason or "build files are missing"
        if rebuild == "never":
            return BuildResult(status="failed", message=f"no usable build in the cache ({reason or 'none'}) "
                                                        "and cache.rebuild=never")
        reason = "cache.rebuild=always" if rebuild == "always" else reason
        try:
            with machine_lock(exclusive=False, waiting_for="measuring"):  # never build beside a measurement
                return _build(ctx, sequence, key, strict, extra_state or {}, reason)
        except OSError as error:  # the folder, the state or a log cannot be written
            return _unwritable(ctx, ctx.facts.get("_current_stage") or first, error, fallback_log_dir)
    finally:
        lock.release()


def _previous(build, key: str) -> tuple[dict | None, str | None]:
    """The build's current state and why it cannot be reused as it is (None: it can)."""
    try:
        state = build.load_state()
    except FileNotFoundError:
        return None, "not in the cache"
    except Exception:
        return None, "unreadable state file"
    version = state.get("state_version", 1)
    if not isinstance(version, int) or version > SUPPORTED_STATE_VERSION:
        return None, (f"it was written by a newer benchit (state_version {version}, this one writes "
                      f"{SUPPORTED_STATE_VERSION})")
    status = state.get("build_status")
    if status in ("running", "not_started"):
        return state, f"the previous build was interrupted during {state.get('current_stage') or 'start-up'}"
    if status == "failed":
        return state, "the previous build failed"
    if status not in ("successful", "partial"):
        return state, f"unknown build status {status!r}"
    if state.get("lean"):
        return state, "its files were deleted (lean cache)"
    if (state.get("config") or {}).get("build_key") != key:
        return state, "the model, its inputs, the sequence or benchit changed"
    return state, None


def _heavy(artifacts) -> list[str]:
    """The files a build needs to be reused: its model files and captured inputs."""
    return [a for a in artifacts or [] if isinstance(a, str) and (a.startswith("onnx/") or a == "inputs.npz")]


def _reuse(build, state: dict) -> BuildResult | str | None:
    """A BuildResult from a finished build; else why its files cannot be used (str), or None if it is not finished.

    Every model file and the inputs must be there with the size the build wrote (`artifact_bytes`): a
    truncated or zero-byte file (a full disk, a copy cut short) is never a cache hit. The inputs are loaded
    without pickle: a file that would need it is refused.
    """
    if state.get("build_status") not in ("successful", "partial") or state.get("lean"):
        return None
    onnx_file = build.dir / state["onnx_file"] if isinstance(state.get("onnx_file"), str) else None
    needed = [build.dir / a for a in _heavy(state.get("artifacts"))]
    if onnx_file is None or not onnx_file.is_file() or not all(p.is_file() for p in needed):
        return "build files are missing"  # lean cache or a deleted artifact: never a cache hit on missing files
    sizes, digests = state.get("artifact_bytes") or {}, state.get("artifact_sha256") or {}
    for path in dict.fromkeys([onnx_file, *needed]):
        name = str(path.relative_to(build.dir))
        expected, actual = sizes.get(name) if isinstance(sizes, dict) else None, path.stat().st_size
        if isinstance(expected, int) and actual != expected:
            return f"{name} is damaged ({actual} bytes; the build wrote {expected})"
    # The files the benchmark reads (the model, its external data, the inputs) must also hold what the build
    # wrote, byte for byte: an in-place change keeps the size. SHA-256 reads ~1.7 GB/s here.
    used = [p for p in needed if p.name.startswith(onnx_file.name) or p == build.inputs_path]
    for path in dict.fromkeys([onnx_file, *used]):
        name = str(path.relative_to(build.dir))
        expected = digests.get(name) if isinstance(digests, dict) else None
        if isinstance(expected, str) and file_sha256(path) != expected:
            return f"{name} is damaged (its contents changed since the build wrote it)"
    try:
        with np.load(build.inputs_path, allow_pickle=False) as data:
            inputs = {name: data[name] for name in data.files}
    except Exception as error:
        return f"inputs.npz cannot be read safely ({one_line(error, 120)})"
    return BuildResult(status=state["build_status"], from_cache=True, onnx_file=onnx_file, inputs=inputs,
                       warnings=list(state.get("warnings") or []), state=state)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _unwritable(ctx: BuildContext, stage: str, error: OSError, fallback_log_dir: Path | None) -> BuildResult:
    """The build folder cannot be written: one status line, the traceback in a log outside it."""
    import tempfile

    reason = one_line(error, 300)
    log_dir = Path(fallback_log_dir) if fallback_log_dir else Path(tempfile.gettempdir())
    log = log_dir / f"log_{ctx.build.name}_{stage}.txt"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        log.write_text(f"cannot write the build folder {ctx.build.dir}\n{traceback.format_exc()}", encoding="utf-8")
    except OSError:
        log = Path("(no log: nothing writable)")
    return BuildResult(status="failed", message=f"{stage} failed: {reason}; log: {log}")


def _build(ctx: BuildContext, sequence: Sequence, key: str, strict: bool, extra_state: dict,
           reason: str | None) -> BuildResult:
    build = ctx.build
    names = sequence.stage_names(ctx.framework)
    build_start = time.perf_counter()
    ctx.facts["_current_stage"] = names[0]
    build.dir.mkdir(parents=True, exist_ok=True)
    for stale in [build.onnx_dir, build.inputs_path, build.stats_path, *build.dir.glob("log_*.txt")]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    state: dict[str, Any] = {
        "state_version": SUPPORTED_STATE_VERSION,
        "build_name": build.name,
        "build_status": "not_started",
        "cache_dir": str(build.cache_dir),
        "config": {"build_name": build.name, "build_key": key, "sequence_name": sequence.name,
                   "sequence": names, "stages": sequence.describe(), "strict": strict, **extra_state},
        "sequence": names,
        "rebuild_reason": reason,
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
    state["build_status"] = "running"
    for stage, name in zip(sequence.stages, names):
        state["current_stage"] = ctx.facts["_current_stage"] = name
        write_yaml(build.state_path, state)
        log = build.log_path(name)
        start = time.perf_counter()
        check = None
        try:
            with redirect_output(log), _python_streams_to_fds():
                stage.run(ctx)
                if stage.writes_model and ctx.onnx_file is not None:
                    check = _validate(ctx, stage.tolerance)
                    print(f"validation: max abs error {check['max_abs_error']:.3g}, max rel error "
                          f"{check['max_rel_error']:.3g}, tolerance {check['tolerance']:g}")
        except Exception as error:
            if isinstance(error, OSError) and not _writable(log):
                raise
            with open(log, "a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
            state["stage_seconds"][name] = round(time.perf_counter() - start, 4)
            text = one_line(error, 400)
            result.message = f"{name} failed: {text}; log: {log}"
            return _finish(result, state, ctx, "failed", build_start, failed_stage=name)
        state["stage_seconds"][name] = round(time.perf_counter() - start, 4)
        state["completed_stages"].append(name)
        if check is not None:
            state["validation"][name] = check
            if not check["ok"]:
                text = (f"{name} changed outputs by {short_float(check['max_abs_error'])} "
                        f"(tolerance {short_float(check['tolerance']).replace('.0e', 'e')})")
                state["warnings"].append(text)
                if strict:
                    result.message = f"{name} failed: {text} and build.strict=true; log: {log}"
                    return _finish(result, state, ctx, "failed", build_start, failed_stage=name)
        if name == names[0] and ctx.inputs:
            np.savez(build.inputs_path, **ctx.inputs)
    status = ctx.facts.pop("build_status", "partial")
    return _finish(result, state, ctx, status, build_start)


@contextlib.contextmanager
def _python_streams_to_fds():
    """Point sys.stdout/stderr at file descriptors 1 and 2 (redirected to the stage log by then).

    Under pytest, Jupyter or an IDE sys.stdout is not fd 1: without this, a stage's prints and
    warnings would go to the host's console instead of log_<stage>.txt.
    """
    if sys.__stdout__ is None or sys.__stderr__ is None:
        yield
        return
    with contextlib.redirect_stdout(sys.__stdout__), contextlib.redirect_stderr(sys.__stderr__):
        yield


def _writable(path: Path) -> bool:
    try:
        with open(path, "a", encoding="utf-8"):
            return True
    except OSError:
        return False


def _finish(result: BuildResult, state: dict, ctx: BuildContext, status: str, build_start: float,
            failed_stage: str | None = None):
    facts = {k: v for k, v in ctx.facts.items() if not k.startswith("_")}
    state.update(facts)
    state["build_status"] = status
    state["current_stage"] = None
    state["build_seconds"] = round(time.perf_counter() - build_start, 4)
    state["onnx_inputs"] = {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in ctx.inputs.items()}
    if failed_stage:
        state["failed_stage"] = failed_stage
        state["error"] = result.message
    state["onnx_file"] = (str(ctx.onnx_file.relative_to(ctx.build.dir))
                          if ctx.onnx_file is not None and ctx.onnx_file.exists() else None)
    state["artifacts"] = sorted(str(p.relative_to(ctx.build.dir)) for p in ctx.build.dir.rglob("*")
                                if p.is_file() and not p.name.endswith(".yaml") and not p.name.startswith("."))
    heavy = _heavy(state["artifacts"])
    state["artifact_bytes"] = {a: (ctx.build.dir / a).stat().st_size for a in heavy}
    state["artifact_sha256"] = {a: file_sha256(ctx.build.dir / a) for a in heavy}
    write_yaml(ctx.build.state_path, state)
    if state["validation"]:  # also in the stats, beside the benchmarks of this build's file
        stats = ctx.build.load_stats()
        stats["validation"] = state["validation"]
        write_yaml(ctx.build.stats_path, stats)
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
