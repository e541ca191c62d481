"""Run a sequence into a build config's folder: lock, reuse or rebuild, stages, validation, state.

Each stage's output (the exporters' chatter, warnings, tracebacks) goes to its log_<stage>.txt; the state
records the root cause of a failure and the console gets one line with the log's path.
"""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from benchit.build.reuse import load_inputs, previous_state
from benchit.cache.integrity import damaged_file, file_sha256, heavy_files
from benchit.build.sequence import Sequence
from benchit.build.stage import BuildContext
from benchit.cache.files import build_lock, write_record
from benchit.cache.layout import STATE_VERSION, Build, Rebuild
from benchit.errors import root_cause
from benchit.system.machine_lock import machine_lock
from benchit.system.output_capture import redirect_output
from benchit.records import BuildRequest, BuildState, BuildStatus
from benchit.tensors import short_float


@dataclass
class BuildResult:
    status: BuildStatus
    state: BuildState | None = None
    from_cache: bool = False
    onnx_file: Path | None = None
    inputs: dict = field(default_factory=dict)  # ONNX input name -> numpy array
    message: str = ""  # failure text for the status line
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status.usable

    @property
    def warnings(self) -> list[str]:
        return list(self.state.warnings) if self.state else []


def build_invocation(ctx: BuildContext, sequence: Sequence, request: BuildRequest, *, rebuild: Rebuild,
                     strict: bool = False, new_reason: str | None = None,
                     fallback_log_dir: Path | None = None) -> BuildResult:
    """Build one model invocation with one build config into `ctx.build`, or reuse what the cache holds.

    rebuild: if_needed reuses a finished build whose files are intact; always rebuilds; never reuses any
    usable build and fails if there is none. `new_reason` says why a config not yet in the cache is built
    (how it differs from the model's other configs). `fallback_log_dir` receives the log when the build
    folder itself cannot be written.
    """
    build = ctx.build
    first = sequence.stage_names(ctx.framework)[0]
    try:
        lock = build_lock(build)
        lock.acquire()
    except OSError as error:
        return _unwritable(ctx, first, error, fallback_log_dir)
    try:
        previous, reason = previous_state(build, request.build_key)
        if previous is not None and rebuild is not Rebuild.always and (reason is None or rebuild is Rebuild.never):
            cached = _reuse(build, previous, strict)
            if isinstance(cached, BuildResult):
                return cached
            reason = reason or cached
        if rebuild is Rebuild.never:
            return BuildResult(BuildStatus.FAILED, message=f"no usable build in the cache ({reason or 'none'}) "
                                                           "and cache.rebuild=never")
        if rebuild is Rebuild.always:
            reason = "cache.rebuild=always"
        elif previous is None and reason is None:
            reason = new_reason or "not in the cache"
        try:
            with machine_lock(exclusive=False, waiting_for="measuring"):  # never build beside a measurement
                return _build(ctx, sequence, request, strict, reason)
        except OSError as error:  # the folder, the state or a log cannot be written
            return _unwritable(ctx, ctx.facts.get("_current_stage") or first, error, fallback_log_dir)
    finally:
        lock.release()


def _reuse(build: Build, state: BuildState, strict: bool) -> BuildResult | str:
    """The cached build as a result, or why its files cannot be used."""
    if not state.build_status.usable or state.lean:
        return "its build did not finish" if not state.lean else "its files were deleted (lean cache)"
    problem = damaged_file(build, state)
    if problem:
        return problem
    inputs = load_inputs(build)
    if isinstance(inputs, str):
        return inputs
    result = BuildResult(state.build_status, state=state, from_cache=True, onnx_file=build.dir / state.onnx_file,
                         inputs=inputs)
    failed = [name for name, check in state.validation.items() if not check.ok]
    if failed and strict:
        result.status = BuildStatus.FAILED
        result.message = (f"{failed[0]} failed: {state.warnings[0] if state.warnings else 'outputs changed'} and "
                          f"build.strict=true (log: {build.log_path(failed[0])})")
    return result


def _unwritable(ctx: BuildContext, stage: str, error: OSError, fallback_log_dir: Path | None) -> BuildResult:
    """The build folder cannot be written: one status line, the traceback in a log outside it."""
    import tempfile

    log_dir = Path(fallback_log_dir) if fallback_log_dir else Path(tempfile.gettempdir())
    log = log_dir / f"log_{ctx.build.name}_{stage}.txt"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        log.write_text(f"cannot write the build folder {ctx.build.dir}\n{traceback.format_exc()}", encoding="utf-8")
    except OSError:
        log = Path("(no log: nothing writable)")
    return BuildResult(BuildStatus.FAILED, message=f"{stage} failed: {root_cause(error)} (log: {log})", log=str(log))


def new_state(build: Build, request: BuildRequest, reason: str | None) -> BuildState:
    from benchit.system.environment import library_versions

    return BuildState(build_name=build.name, config_id=build.config_id, config=request, state_version=STATE_VERSION,
                      cache_dir=str(build.cache_dir), sequence=list(request.sequence), rebuild_reason=reason,
                      versions=library_versions(), timestamp=time.strftime("%Y-%m-%dT%H:%M:%S%z"))


def _build(ctx: BuildContext, sequence: Sequence, request: BuildRequest, strict: bool,
           reason: str | None) -> BuildResult:
    build = ctx.build
    names = sequence.stage_names(ctx.framework)
    started = time.perf_counter()
    ctx.facts["_current_stage"] = names[0]
    build.dir.mkdir(parents=True, exist_ok=True)
    for stale in [build.onnx_dir, build.inputs_path, build.stats_path, *build.dir.glob("log_*.txt")]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    state = new_state(build, request, reason)
    write_record(build.state_path, state)
    state.build_status = BuildStatus.RUNNING
    result = BuildResult(BuildStatus.RUNNING, state=state)
    for stage, name in zip(sequence.stages, names):
        state.current_stage = ctx.facts["_current_stage"] = name
        write_record(build.state_path, state)
        log = build.log_path(name)
        start = time.perf_counter()
        check = None
        before = ctx.onnx_file
        try:
            with redirect_output(log):
                stage.run(ctx)
                if stage.writes_model and ctx.onnx_file is not None and ctx.onnx_file != before:
                    check = _validate(ctx, stage.tolerance)
                    print(f"validation: max abs error {check.max_abs_error:.3g} (tolerance {check.abs_tolerance:g}), "
                          f"max rel error {check.max_rel_error:.3g}{'; ' + check.note if check.note else ''}")
        except Exception as error:
            if isinstance(error, OSError) and not _writable(log):
                raise
            with open(log, "a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
            state.stage_seconds[name] = round(time.perf_counter() - start, 4)
            result.message, result.log = f"{name} failed: {root_cause(error)} (log: {log})", str(log)
            return _finish(result, state, ctx, BuildStatus.FAILED, started, failed_stage=name)
        state.stage_seconds[name] = round(time.perf_counter() - start, 4)
        state.completed_stages.append(name)
        if check is not None:
            state.validation[name] = check
            if not check.ok:
                text = (f"{name} changed outputs by {short_float(check.max_abs_error)} "
                        f"(tolerance {short_float(check.abs_tolerance).replace('.0e', 'e')})")
                state.warnings.append(text)
                if strict:
                    result.message, result.log = f"{name} failed: {text} and build.strict=true (log: {log})", str(log)
                    return _finish(result, state, ctx, BuildStatus.FAILED, started, failed_stage=name)
        if name == names[0] and ctx.inputs:
            import numpy as np

            np.savez(build.inputs_path, **ctx.inputs)
    status = BuildStatus(ctx.facts.pop("build_status", BuildStatus.PARTIAL.value))
    return _finish(result, state, ctx, status, started)


def _writable(path: Path) -> bool:
    try:
        with open(path, "a", encoding="utf-8"):
            return True
    except OSError:
        return False


def _finish(result: BuildResult, state: BuildState, ctx: BuildContext, status: BuildStatus, started: float,
            failed_stage: str | None = None) -> BuildResult:
    build = ctx.build
    state.facts.update({k: v for k, v in ctx.facts.items() if not k.startswith("_")})
    state.warnings.extend(note for note in ctx.notes if note not in state.warnings)
    state.build_status, state.current_stage = status, None
    state.build_seconds = round(time.perf_counter() - started, 4)
    state.onnx_inputs = {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in ctx.inputs.items()}
    if failed_stage:
        state.failed_stage, state.error = failed_stage, result.message
    state.onnx_file = (str(ctx.onnx_file.relative_to(build.dir))
                       if ctx.onnx_file is not None and ctx.onnx_file.exists() else None)
    state.artifacts = sorted(str(p.relative_to(build.dir)) for p in build.dir.rglob("*")
                             if p.is_file() and not p.name.endswith(".yaml") and not p.name.startswith("."))
    heavy = heavy_files(state.artifacts)
    state.artifact_bytes = {a: (build.dir / a).stat().st_size for a in heavy}
    state.artifact_sha256 = {a: file_sha256(build.dir / a) for a in heavy}
    write_record(build.state_path, state)
    result.status, result.state = status, state
    result.onnx_file, result.inputs = ctx.onnx_file, ctx.inputs
    return result


def _validate(ctx: BuildContext, tolerance: float | None):
    """Run the new model file, as written, on the script's inputs and compare with the framework's outputs."""
    import onnxruntime as ort

    from benchit.tensors import feeds_for, padding_mask, validate

    options = ort.SessionOptions()
    # As written: the file must be valid as it is, and a runtime's own fusions (which can crash on an
    # optimized file) are the benchmark's business, where they are retried without the failing one.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(ctx.onnx_file), options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feeds_for(session.get_inputs(), list(ctx.inputs.items())))
    return validate(ctx.reference_outputs, outputs, 1e-4 if tolerance is None else float(tolerance),
                    mask=padding_mask(ctx.inputs, ctx.kwargs))


def record_framework_build(build: Build, request: BuildRequest) -> BuildState:
    """The state of a build config that holds no file (runtimes that time the script's model itself)."""
    with build_lock(build):
        if build.state_path.is_file():
            try:
                state = build.load_state()
                if state.config.build_key == request.build_key:
                    return state
            except Exception:  # unreadable: written again below
                pass
        build.dir.mkdir(parents=True, exist_ok=True)
        state = new_state(build, request, None)
        state.build_status = BuildStatus.SUCCESSFUL
        write_record(build.state_path, state)
        return state
