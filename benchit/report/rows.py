"""Rows of the cache report: one per build config x device x runtime, from each build's typed state and stats.

A build with no benchmark (build only, or a failed build) is one row with its status and error; a broken
entry (malformed YAML, a missing state file, a build written by another benchit) is one row with status
`broken` and the reason: nothing is silently dropped and nothing crashes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from benchit.cache.layout import STATE_FILE, Build
from benchit.data import flat
from benchit.records import Benchmark, BuildState, BuildStatus, Status

# The columns users of the older tool know, first, then what benchit adds. Per-stage columns
# (`error_<stage>`, `seconds_<stage>`) follow, in the order the stages ran.
COLUMNS = [
    "model_name", "author", "model_class", "params", "hash", "license", "task",
    "x86_latency", "nvidia_latency", "onnx_exported", "onnx_optimized", "onnx_converted", "fp16",
    "build_name", "build_config", "status", "stage_reached", "device", "device_name", "runtime", "runtime_version",
    "provider", "sequence", "batch_size",
    "mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "robust_cv",
    "unstable", "unstable_reason", "throughput_ips", "samples_per_second", "speedup_vs_torch", "iterations",
    "load_ms", "first_call_ms", "peak_rss_mb", "peak_rss_total_mb", "device_memory_mb",
    "max_abs_error", "runtime_max_abs_error", "validation_note",
    "build_status", "failed_stage", "error", "warnings", "notes", "rebuild_reason",
    "script", "variable_name", "invocation", "input_shapes", "framework", "model_type", "labels",
    "stages", "exporter", "build_seconds", "lean",
    "benchit_version", "python_version", "torch_version", "onnx_version", "onnxruntime_version",
    "tensorflow_version", "timestamp", "build_timestamp", "cache_dir",
]
# Benchmark fields (flattened) that become report columns under the same name.
_BENCHMARK_COLUMNS = ("device", "device_name", "runtime", "runtime_version", "provider", "batch_size", "mean_ms",
                      "median_ms",
                      "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "robust_cv", "unstable",
                      "unstable_reason", "throughput_ips", "samples_per_second", "iterations", "load_ms",
                      "first_call_ms", "peak_rss_mb", "peak_rss_total_mb", "device_memory_mb", "timestamp")


def shapes_text(inputs: Any) -> str:
    """`x: (1, 10) float32; mask: (1, 8) int64`."""
    if not isinstance(inputs, dict):
        return ""
    parts = []
    for key, desc in inputs.items():
        if isinstance(desc, dict) and "shape" in desc:
            parts.append(f"{key}: {tuple(desc['shape'])} {desc.get('dtype', '')}".rstrip())
        else:
            parts.append(f"{key}: {desc}")
    return "; ".join(parts)


def labels_text(labels: Any) -> str:
    return " ".join(f"{k}::{v}" for k, v in labels.items()) if isinstance(labels, dict) else ""


def broken_row(build: Build, reason: str) -> dict[str, Any]:
    return {"build_name": build.name, "build_config": build.config_id, "status": Status.BROKEN.value,
            "error": reason, "cache_dir": str(build.cache_dir)}


def stage_flags(completed: list[str]) -> dict[str, bool]:
    return {
        "onnx_exported": any(s.startswith("export") for s in completed),
        "onnx_optimized": any("optimiz" in s for s in completed),
        "onnx_converted": any("fp16" in s or "convert" in s or "quantiz" in s for s in completed),
    }


def build_facts(build: Build, state: BuildState) -> dict[str, Any]:
    """The columns every row of one build config shares."""
    config, versions = state.config, state.versions
    labels = config.labels
    script = config.script
    status = state.build_status
    row: dict[str, Any] = {
        "model_name": labels.get("name") or (Path(script).stem if script else build.name),
        "author": labels.get("author", ""), "model_class": config.model_class, "params": config.params,
        "hash": config.model_hash, "license": labels.get("license", ""), "task": labels.get("task", ""),
        **stage_flags(state.completed_stages),
        "build_name": build.name, "build_config": build.config_id,
        "stage_reached": state.completed_stages[-1] if state.completed_stages else "",
        "sequence": config.sequence_name, "batch_size": config.batch_size,
        "build_status": status.value, "failed_stage": state.failed_stage or "",
        "error": state.error or "", "warnings": "; ".join(state.warnings), "rebuild_reason": state.rebuild_reason,
        "script": script, "variable_name": config.model_name, "invocation": config.invocation,
        "input_shapes": shapes_text(config.inputs), "framework": config.framework, "model_type": config.model_type,
        "labels": labels_text(labels), "stages": " ".join(state.sequence),
        "exporter": state.facts.get("exporter", ""), "fp16": state.facts.get("fp16", ""), "build_seconds": state.build_seconds, "lean": state.lean,
        "benchit_version": versions.get("benchit", ""), "python_version": versions.get("python", ""),
        "torch_version": versions.get("torch", ""), "onnx_version": versions.get("onnx", ""),
        "onnxruntime_version": versions.get("onnxruntime-gpu") or versions.get("onnxruntime", ""),
        "tensorflow_version": versions.get("tensorflow", ""), "build_timestamp": state.timestamp,
        "cache_dir": str(build.cache_dir),
    }
    last = None
    for stage, check in state.validation.items():
        row[f"error_{stage}"] = last = check.max_abs_error
        if check.note:
            row["validation_note"] = check.note
    row["max_abs_error"] = last
    for stage, seconds in state.stage_seconds.items():
        row[f"seconds_{stage}"] = seconds
    if status is BuildStatus.FAILED:
        row["status"] = Status.FAILED.value
    elif status in (BuildStatus.RUNNING, BuildStatus.NOT_STARTED):
        row["status"] = Status.RUNNING.value  # the scan tells running from interrupted by the build's lock
        row["failed_stage"] = state.current_stage or ""
    else:
        row["status"] = Status.BUILT.value
    return row


def benchmark_row(base: dict[str, Any], benchmark: Benchmark) -> dict[str, Any]:
    values = flat(benchmark)
    row = dict(base)
    row.update({column: values.get(column) for column in _BENCHMARK_COLUMNS})
    if benchmark.validation is not None:
        row["runtime_max_abs_error"] = benchmark.validation.max_abs_error
        row["validation_note"] = row.get("validation_note") or benchmark.validation.note
    row["notes"] = "; ".join(benchmark.notes)
    if benchmark.versions.get("benchit"):
        row["benchit_version"] = benchmark.versions["benchit"]
    if base.get("status") != Status.FAILED.value:
        row["status"] = Status.BENCHMARKED.value
    if benchmark.device in ("x86", "nvidia"):
        row[f"{benchmark.device}_latency"] = benchmark.latency.mean_ms
    return row


def rows_of(build: Build) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every row of one build config (read from its YAML files: the source of truth), and the sizes of the
    model files and inputs it claims (a report checks them every time: a truncated file is damage)."""
    if not build.state_path.is_file():
        return [broken_row(build, f"no {STATE_FILE} (an interrupted or damaged build)")], {}
    try:
        state = build.load_state()
        base = build_facts(build, state)
    except Exception as error:  # ValueError, RecordError: say which file and why, never crash
        return [broken_row(build, _reason(error))], {}
    claimed = dict(state.artifact_bytes) if state.build_status.usable and not state.lean else {}
    try:
        stats = build.load_stats()
    except Exception as error:
        return [{**base, **broken_row(build, _reason(error))}], claimed
    return [benchmark_row(base, benchmark) for benchmark in stats.benchmarks.values()] or [base], claimed


def damage(build_dir: str | Path, claimed: dict[str, int]) -> str:
    """Why the files a build claims are not what it wrote ("" when they are): sizes only, one stat each."""
    for name, size in claimed.items():
        try:
            actual = os.stat(f"{build_dir}/{name}").st_size
        except OSError:
            return f"{name} is missing (the build wrote it; deleted since?)"
        if actual != size:
            return f"{name} is damaged ({actual} bytes; the build wrote {size})"
    return ""


def settle_running(build: Build, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A build whose state says running: running if a benchit process holds its lock, else interrupted."""
    from benchit.cache.manage import in_use

    if not any(row.get("status") == Status.RUNNING.value for row in rows) or in_use(build):
        return rows
    return [{**row, "status": Status.INTERRUPTED.value,
             "error": row.get("error") or f"the build was interrupted in stage {row.get('failed_stage') or 'start-up'} "
                                          "(killed, or Ctrl-C); the next run rebuilds it"}
            if row.get("status") == Status.RUNNING.value else row for row in rows]


def mark_damaged(rows: list[dict[str, Any]], problem: str) -> list[dict[str, Any]]:
    """The rows of a build whose files are damaged: what it measured stays, and the error says what is wrong
    (the next run rebuilds it)."""
    text = f"{problem}; the next run rebuilds it"
    return [{**row, "error": text, "warnings": "; ".join(w for w in (row.get("warnings"), text) if w)}
            for row in rows]


def _reason(error: Exception) -> str:
    from benchit.errors import one_line

    text = one_line(error)
    return text.split(": ", 1)[1] if text.startswith(("ValueError: ", "RecordError: ")) else text


def ordered_columns(seen: Iterable[str]) -> list[str]:
    """COLUMNS, then per-stage columns in first-seen order, then anything else (`seen`: the rows' keys, first
    seen first)."""
    seen = list(seen)
    known = set(COLUMNS)
    errors = [k for k in seen if k.startswith("error_") and k not in known]
    seconds = [k for k in seen if k.startswith("seconds_") and k not in known]
    rest = [k for k in seen if k not in known and k not in errors and k not in seconds]
    return COLUMNS + errors + seconds + rest
