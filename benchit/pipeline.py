"""The one pipeline from recorded models to results: select, build, benchmark, record.

The worker feeds it the models a script called; `benchit.benchmark_model` feeds it the one call it made.
Both get the same records (ModelRecord / InvocationRecord), the same build folders and the same stats.
`changed()` is called after every step, so a caller can save what finished before a crash or a timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from benchit.analysis.models import Invocation, ModelInfo
from benchit.cache.layout import Build, config_ids, has_legacy_state, safe_name
from benchit.config.schema import BenchitConfig, Mode
from benchit.errors import root_cause
from benchit.data import to_data
from benchit.records import Benchmark, BuildRequest, InvocationRecord, ModelRecord, Status


@dataclass
class Target:
    """One selected invocation of one model, and the record the pipeline fills in."""

    info: ModelInfo
    invocation: Invocation
    record: InvocationRecord


class Pipeline:
    def __init__(self, config: BenchitConfig, cache_dir: Path, *, source: str, script: str, labels: dict,
                 log_dir: Path, changed: Callable[[], None] = lambda: None,
                 progress: Callable[[str], None] = lambda text: None):
        self.config = config
        self.cache_dir = cache_dir
        self.source = safe_name(source)  # the first part of every build name: the script's stem
        self.script = script
        self.labels = labels
        self.log_dir = log_dir
        self.changed = changed
        self.progress = progress
        self.models: list[ModelInfo] = []
        self.records: dict[int, InvocationRecord] = {}  # id(invocation) -> its record

    # ------------------------------------------------------------------ records
    def describe(self, models: list[ModelInfo]) -> list[ModelRecord]:
        """A record for every model the recorder saw, in the order the tree prints them."""
        self.models = models
        described = []
        for info in models:
            numbers = self._signature_numbers(info)
            described.append(ModelRecord(
                name=info.name, framework=info.framework, model_type=info.model_type, class_name=info.class_name,
                class_path=info.class_path, location=list(info.location) if info.location else None,
                location_note=info.location_note, params=info.params, param_bytes=info.param_bytes, hash=info.hash,
                depth=info.depth, parent=info.parent.name if info.parent else None, signatures=len(numbers),
                invocations=[self._record(info, inv, numbers) for inv in info.invocations]))
        return described

    def _record(self, info: ModelInfo, inv: Invocation, numbers: dict) -> InvocationRecord:
        n = numbers[inv.signature]
        name = f"{self.source}_{info.hash}" + ("" if n == 1 else f"_{n}")
        record = InvocationRecord(index=inv.index, invocation_id=f"{info.hash}_{n}", build_name=name,
                                  inputs=dict(inv.described_inputs()), calls=inv.calls, seconds=round(inv.seconds, 6))
        self.records[id(inv)] = record
        return record

    def _signature_numbers(self, info: ModelInfo) -> dict:
        """signature -> 1, 2, ... in the order the script first used it with any model of this hash.

        Two instances of one architecture called with the same shapes share a build; with different shapes
        they never share a folder.
        """
        numbers: dict = {}
        for other in self.models:
            if other.hash == info.hash:
                for inv in other.invocations:
                    numbers.setdefault(inv.signature, len(numbers) + 1)
        return numbers

    # ------------------------------------------------------------------ select
    def select(self) -> tuple[list[Target], list[str]]:
        """The invocations to build, and the hash filter items that matched nothing.

        A filter item is a model hash (every signature of that model: `479b1332`) or one signature of it
        (`479b1332_2`). What is not selected is released here: models and captured tensors.
        """
        items = [str(h).strip().lower() for h in self.config.input.hashes if str(h).strip()]
        analyze = self.config.mode is Mode.analyze
        chosen, matched = [], set()
        for info in self.models:
            for inv in info.invocations:
                record = self.records[id(inv)]
                hit = [item for item in items if item in (info.hash, record.invocation_id)]
                matched.update(hit)
                if info.depth <= self.config.max_depth and (hit or not items):
                    if not analyze:
                        record.status = Status.NOT_REACHED
                        chosen.append(Target(info, inv, record))
                elif not analyze:
                    record.status = Status.NOT_SELECTED
        keep = {id(t.invocation) for t in chosen}
        for info in self.models:  # free what will not be built: large models and inputs add up
            for inv in info.invocations:
                if id(inv) not in keep:
                    inv.release()
            if not any(id(inv) in keep for inv in info.invocations):
                info.model = None
        return chosen, [item for item in items if item not in matched]

    def known_ids(self) -> list[str]:
        """The hashes (and signature ids, for models with several) a filter can name."""
        ids = []
        for info in self.models:
            ids.append(info.hash)
            if len(self._signature_numbers(info)) > 1:
                ids += [self.records[id(inv)].invocation_id for inv in info.invocations]
        return list(dict.fromkeys(ids))

    # ------------------------------------------------------------------ build and benchmark
    def run(self, targets: list[Target]) -> None:
        from benchit.build.sequence import load_sequence
        from benchit.devices.base import device_from_config

        try:
            sequence = load_sequence(self.config.sequence)
            device = device_from_config(self.config.device) if self.config.mode is Mode.benchmark else None
        except Exception as error:
            for target in targets:
                target.record.status, target.record.message = Status.FAILED, root_cause(error)
            self.changed()
            return
        done: dict[tuple, InvocationRecord] = {}  # identical models in one script build once
        remaining: dict[int, int] = {}
        for target in targets:
            remaining[id(target.info)] = remaining.get(id(target.info), 0) + 1
        for target in targets:
            try:
                self._run_one(target, sequence, device, done)
            finally:  # free each model (and its captured tensors) once its last invocation is done
                target.invocation.release()
                remaining[id(target.info)] -= 1
                if remaining[id(target.info)] == 0:
                    target.info.release()
            self.changed()

    def _run_one(self, target: Target, sequence, device, done: dict) -> None:
        from benchit.analysis.batching import NoBatchDimension, batch_size_of, rebatch

        record, info, inv = target.record, target.info, target.invocation
        args, kwargs, outputs = inv.args, inv.kwargs, inv.outputs
        batch = self.config.batch_size
        if batch:
            try:
                args, kwargs = rebatch(args, kwargs, batch)
            except NoBatchDimension as error:
                record.status, record.message = Status.FAILED, f"batch_size={batch}: {info.name} {error}"
                self.changed()
                return
            outputs = _call(info.model, args, kwargs)
        build_onnx = device is None or device.needs_onnx
        request = self._request(info, inv, record, sequence if build_onnx else None, args, kwargs, batch)
        key = (record.build_name, request.config_id)
        if key in done:
            _copy_outcome(done[key], record)
            return
        build = Build(self.cache_dir, record.build_name, request.config_id)
        record.build_config, record.sequence = request.config_id, request.sequence_name
        self.progress(f"building {info.name} ({build.id})")
        result = self._build(target, build, request, sequence, args, kwargs, outputs) if build_onnx else None
        if result is not None and not result.ok:
            done[key] = record
            return
        if device is not None:
            self._benchmark(device, target, build, request, result, args, kwargs, outputs,
                            batch or batch_size_of(args, kwargs))
            if self.config.cache.lean and result is not None and record.status is Status.BENCHMARKED:
                from benchit.cache.manage import clean_build

                clean_build(build, wait=True)
        done[key] = record

    def _request(self, info, inv, record, sequence, args, kwargs, batch) -> BuildRequest:
        from benchit.analysis.values import signature_of
        from benchit.build.identity import FRAMEWORK_CONFIG, build_key, config_id, key_parts
        from benchit.system.environment import library_versions

        stages = sequence.describe() if sequence is not None else []
        signature = (signature_of(args), signature_of(kwargs)) if batch else inv.signature
        parts = key_parts(info.hash, info.framework, signature, batch, stages, library_versions())
        key = build_key(parts)
        name = sequence.name if sequence is not None else FRAMEWORK_CONFIG
        return BuildRequest(
            build_name=record.build_name, config_id=config_id(name, batch, key), build_key=key,
            sequence_name=name, sequence=sequence.stage_names(info.framework) if sequence is not None else [],
            key_parts=parts, strict=self.config.build.strict, batch_size=batch, script=self.script,
            model_name=info.name, model_class=info.class_name, model_type=info.model_type,
            framework=info.framework, model_hash=info.hash, params=info.params, invocation=inv.index,
            inputs=record.inputs, labels=dict(self.labels))

    def _new_reason(self, build: Build, request: BuildRequest) -> str:
        """Why a build config not yet in the cache is built: what differs from the model's newest one."""
        from benchit.build.identity import describe_change
        from benchit.cache.manage import remove_legacy

        if has_legacy_state(build.model_dir) and remove_legacy(build.model_dir):
            return ("the cache held an older benchit's build of this model (state_version 1, one folder per model); "
                    "rebuilt as a build config")
        siblings = [c for c in config_ids(build.model_dir) if c != build.config_id]
        if not siblings:
            return "not in the cache"
        try:
            newest = Build(self.cache_dir, build.name, siblings[0]).load_state()
        except Exception:  # an unreadable sibling says nothing about this one
            return "not in the cache"
        return f"a new build config beside {siblings[0]}: {describe_change(newest.config.key_parts, request.key_parts)}"

    def _build(self, target: Target, build: Build, request: BuildRequest, sequence, args, kwargs, outputs):
        from benchit.build.builder import build_invocation
        from benchit.build.stage import BuildContext
        from benchit.tensors import flatten_arrays

        record, info = target.record, target.info
        ctx = BuildContext(model=info.model, framework=info.framework, args=args, kwargs=kwargs,
                           reference_outputs=[a for _, a in flatten_arrays(outputs)], build=build)
        started = time.perf_counter()
        try:
            result = build_invocation(ctx, sequence, request, rebuild=self.config.cache.rebuild,
                                      strict=self.config.build.strict, new_reason=self._new_reason(build, request),
                                      fallback_log_dir=self.log_dir)
        except Exception as error:  # the builder itself failed (disk full, unwritable cache...)
            record.status, record.message = Status.FAILED, f"build failed: {root_cause(error)}"
            return None
        record.from_cache = result.from_cache
        record.build_seconds = round(time.perf_counter() - started, 4)
        state = result.state
        if state is not None:
            record.rebuild_reason = None if result.from_cache else state.rebuild_reason
            record.warnings = list(state.warnings)
            record.validation = dict(state.validation)
            record.stages_completed = list(state.completed_stages)
            record.failed_stage = state.failed_stage or ""
        record.log = result.log
        if not result.ok:
            record.status, record.message = Status.FAILED, result.message
        else:
            record.status = Status.BUILT
        return result

    def _benchmark(self, device, target: Target, build: Build, request: BuildRequest, result, args, kwargs,
                   outputs, batch: int | None) -> None:
        from benchit.build.builder import record_framework_build
        from benchit.devices.base import BenchmarkTarget
        from benchit.tensors import flatten_arrays

        record, info = target.record, target.info
        self.progress(f"benchmarking {info.name} on {device.name} ({device.runtime.name})")
        if result is None:  # the runtime times the script's own model: a build config without files
            record_framework_build(build, request)
            record.status = Status.BUILT
        tolerance = 1e-4
        if result is not None and result.state is not None and result.state.validation:
            tolerance = max(1e-4, max(check.abs_tolerance for check in result.state.validation.values()))
        reference = None
        if device.needs_onnx and result is not None and result.state is not None and info.framework == "pytorch":
            from benchit.build.export import file_reference

            reference = file_reference(info.model, args, kwargs, result.state.facts)  # the file's own semantics
        bench_target = BenchmarkTarget(
            onnx_file=result.onnx_file if result else None, inputs=result.inputs if result else {},
            model=info.model, args=args, kwargs=kwargs, batch_size=batch, tolerance=tolerance,
            reference_outputs=reference if reference is not None else [a for _, a in flatten_arrays(outputs)])
        try:
            benchmark = device.benchmark(bench_target)
        except Exception as error:
            record.status = Status.FAILED
            record.message = f"benchmark failed on {device.name} ({device.runtime.name}): {root_cause(error)}"
            return
        if result is not None and result.onnx_file is not None:
            benchmark.onnx_file = str(result.onnx_file.relative_to(build.dir))  # as the state names it
        record.status, record.benchmark = Status.BENCHMARKED, benchmark
        if not record_benchmark(build, benchmark):
            record.warnings.append("the build was deleted from the cache while it was benchmarked: this result is "
                                   "only in the run's results.json")


def record_benchmark(build: Build, benchmark: Benchmark) -> bool:
    """Add a benchmark to the build config's stats, under its lock; False when the build is gone."""
    from benchit.cache.files import build_lock, write_yaml

    with build_lock(build):
        if not build.state_path.is_file():
            # `benchit cache delete` removed the build while it was measured: stats alone would leave a folder
            # with no state (a broken entry). The number stays in the run's results.json.
            return False
        try:
            data = to_data(build.load_stats())
        except Exception:  # damaged stats: this benchmark starts them again (the report showed them broken)
            data = {"benchmarks": {}}
        data["benchmarks"][benchmark.key] = to_data(benchmark)
        write_yaml(build.stats_path, data)
    return True


def _call(model, args, kwargs):
    """The framework's outputs on re-batched inputs (the script's own outputs are for its batch)."""
    if hasattr(model, "eval") and hasattr(model, "parameters"):
        import torch

        with torch.no_grad():
            return model(*args, **kwargs)
    return model(*args, **kwargs)


def _copy_outcome(source: InvocationRecord, record: InvocationRecord) -> None:
    for name in ("status", "message", "build_config", "sequence", "from_cache", "build_seconds", "rebuild_reason",
                 "stages_completed", "failed_stage", "log", "warnings", "validation", "benchmark"):
        setattr(record, name, getattr(source, name))

