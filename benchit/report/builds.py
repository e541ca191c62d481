"""Rows of the cache report: one per build x device x runtime, from each build's state and stats.

A build with no benchmark (build only, or a failed build) is one row with its status and error;
a broken entry (malformed YAML, a missing state file, a build written by a newer benchit) is one
row with status `broken` and the reason: nothing is silently dropped and nothing crashes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.files import read_yaml
from benchit.cache.layout import RESERVED_NAMES, STATE_SUFFIX, STATS_SUFFIX, SUPPORTED_STATE_VERSION

# The columns users of the older tool know, first, then what benchit adds. Per-stage columns
# (`error_<stage>`, `seconds_<stage>`) follow, in the order the stages ran.
COLUMNS = [
    "model_name", "author", "model_class", "params", "hash", "license", "task",
    "x86_latency", "nvidia_latency", "onnx_exported", "onnx_optimized", "onnx_converted",
    "build_name", "status", "device", "device_name", "runtime", "runtime_version", "provider", "sequence",
    "mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "unstable",
    "throughput_ips", "iterations", "max_abs_error",
    "build_status", "failed_stage", "error", "warnings",
    "script", "variable_name", "invocation", "input_shapes", "framework", "model_type", "labels",
    "stages", "build_seconds", "lean", "from_version",
    "benchit_version", "python_version", "torch_version", "onnx_version", "onnxruntime_version",
    "tensorflow_version", "timestamp", "build_timestamp", "cache_dir",
]
MEASURES = ("mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "unstable",
            "throughput_ips", "iterations", "device_name", "runtime_version", "provider")


@dataclass
class Scan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    builds: int = 0


def candidate_folders(cache_dir: Path) -> list[tuple[str, bool]]:
    """(name, has_state) for every folder that is, or looks like, a build: one scandir, one stat each."""
    found = []
    if not cache_dir.is_dir():
        return found
    with os.scandir(cache_dir) as entries:
        for entry in entries:
            if entry.name in RESERVED_NAMES or entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            base = os.path.join(entry.path, entry.name)
            if os.path.exists(base + STATE_SUFFIX):
                found.append((entry.name, True))
            elif os.path.exists(base + STATS_SUFFIX):
                found.append((entry.name, False))
    return sorted(found)


def scan_cache(cache_dir: Path) -> Scan:
    scan = Scan()
    for name, has_state in candidate_folders(cache_dir):
        scan.builds += 1
        scan.rows.extend(build_rows(cache_dir, name, has_state, scan.warnings))
    return scan


def _broken(cache_dir: Path, name: str, reason: str, warnings: list[str], base: dict | None = None) -> dict:
    warnings.append(f"broken build {name} in cache {cache_dir}: {reason}")
    row = dict(base or {})
    row.update(build_name=name, status="broken", error=reason, cache_dir=str(cache_dir))
    return row


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def build_rows(cache_dir: Path, name: str, has_state: bool, warnings: list[str]) -> list[dict[str, Any]]:
    folder = cache_dir / name
    state_path = folder / f"{name}{STATE_SUFFIX}"
    stats_path = folder / f"{name}{STATS_SUFFIX}"
    if not has_state:
        return [_broken(cache_dir, name, f"no {state_path.name} (an interrupted or damaged build)", warnings)]
    try:
        state = read_yaml(state_path)
    except Exception as error:
        return [_broken(cache_dir, name, f"{state_path.name} is not valid YAML ({_first_line(error)})", warnings)]
    if not isinstance(state, dict):
        return [_broken(cache_dir, name, f"{state_path.name} is not a benchit state file", warnings)]
    version = state.get("state_version", 1)
    if not isinstance(version, int) or version > SUPPORTED_STATE_VERSION:
        return [_broken(cache_dir, name, f"written by a newer benchit (state_version {version}, this benchit "
                                          f"reads {SUPPORTED_STATE_VERSION}); upgrade benchit to report it",
                        warnings, {"from_version": (state.get("versions") or {}).get("benchit")})]
    try:
        base = _build_facts(cache_dir, name, state)
    except Exception as error:  # a state with unexpected types: still one row
        return [_broken(cache_dir, name, f"unexpected content in {state_path.name} ({_first_line(error)})",
                        warnings)]
    stats: dict = {}
    if stats_path.is_file():
        try:
            stats = read_yaml(stats_path)
        except Exception as error:
            return [_broken(cache_dir, name, f"{stats_path.name} is not valid YAML ({_first_line(error)})",
                            warnings, base)]
        if not isinstance(stats, dict):
            return [_broken(cache_dir, name, f"{stats_path.name} is not a benchit stats file", warnings, base)]
    benchmarks = stats.get("benchmarks") or {}
    if not isinstance(benchmarks, dict):
        return [_broken(cache_dir, name, f"{stats_path.name}: benchmarks is not a mapping", warnings, base)]
    rows = []
    for key, entry in benchmarks.items():
        if not isinstance(entry, dict):
            rows.append(_broken(cache_dir, name, f"{stats_path.name}: benchmark {key} is not a mapping",
                                warnings, base))
            continue
        rows.append(_benchmark_row(base, str(key), entry))
    if not rows:
        row = dict(base)
        status = state.get("build_status")
        row.setdefault("status", {"successful": "built", "partial": "built"}.get(status, status or "unknown"))
        rows.append(row)
    return rows


def _stage_flags(completed: list[str]) -> dict[str, bool]:
    return {
        "onnx_exported": any(s.startswith("export") for s in completed),
        "onnx_optimized": any("optimiz" in s for s in completed),
        "onnx_converted": any("fp16" in s or "convert" in s or "quantiz" in s for s in completed),
    }


def shapes_text(inputs: Any) -> str:
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
    if not isinstance(labels, dict):
        return ""
    return " ".join(f"{k}::{v}" for k, v in labels.items())


def _build_facts(cache_dir: Path, name: str, state: dict) -> dict[str, Any]:
    config = state.get("config") or {}
    labels = config.get("labels") or {}
    if not isinstance(labels, dict):
        labels = {}
    script = config.get("script") or ""
    completed = [str(s) for s in state.get("completed_stages") or []]
    seconds = state.get("stage_seconds") or {}
    validation = state.get("validation") or {}
    versions = state.get("versions") or {}
    build_status = state.get("build_status")
    row: dict[str, Any] = {
        "model_name": labels.get("name") or (Path(script).stem if script else name),
        "author": labels.get("author", ""),
        "model_class": config.get("model_class", ""),
        "params": config.get("params"),
        "hash": config.get("model_hash", ""),
        "license": labels.get("license", ""),
        "task": labels.get("task", ""),
        **_stage_flags(completed),
        "build_name": name,
        "sequence": config.get("sequence_name", ""),
        "build_status": build_status,
        "failed_stage": state.get("failed_stage") or (state.get("current_stage") if build_status == "running" else ""),
        "error": state.get("error") or "",
        "warnings": "; ".join(str(w) for w in state.get("warnings") or []),
        "script": script,
        "variable_name": config.get("model_name", ""),
        "invocation": config.get("invocation"),
        "input_shapes": shapes_text(config.get("inputs")),
        "framework": config.get("framework", ""),
        "model_type": config.get("model_type", ""),
        "labels": labels_text(labels),
        "stages": " ".join(str(s) for s in state.get("sequence") or config.get("sequence") or []),
        "build_seconds": round(sum(v for v in seconds.values() if isinstance(v, (int, float))), 4)
        if isinstance(seconds, dict) else None,
        "lean": bool(state.get("lean")),
        "benchit_version": versions.get("benchit", ""),
        "python_version": versions.get("python", ""),
        "torch_version": versions.get("torch", ""),
        "onnx_version": versions.get("onnx", ""),
        "onnxruntime_version": versions.get("onnxruntime-gpu") or versions.get("onnxruntime", ""),
        "tensorflow_version": versions.get("tensorflow", ""),
        "build_timestamp": state.get("timestamp", ""),
        "cache_dir": str(cache_dir),
    }
    last_error = None
    if isinstance(validation, dict):
        for stage, check in validation.items():
            if isinstance(check, dict) and "max_abs_error" in check:
                row[f"error_{stage}"] = check["max_abs_error"]
                last_error = check["max_abs_error"]
    row["max_abs_error"] = last_error
    if isinstance(seconds, dict):
        for stage, value in seconds.items():
            row[f"seconds_{stage}"] = value
    if build_status == "failed":
        row["status"] = "failed"
    elif build_status == "running":
        row["status"] = "incomplete"
        row["error"] = row["error"] or (f"the build stopped in stage {row['failed_stage']} (killed, or still "
                                        "running in another process)")
    return row


def _benchmark_row(base: dict[str, Any], key: str, entry: dict[str, Any]) -> dict[str, Any]:
    row = dict(base)
    device, _, runtime = key.partition("/")
    row["device"] = entry.get("device") or device
    row["runtime"] = entry.get("runtime") or runtime
    for column in MEASURES:
        if column in entry:
            row[column] = entry[column]
    row["timestamp"] = entry.get("timestamp", "")
    versions = entry.get("versions") or {}
    if isinstance(versions, dict) and versions.get("benchit"):
        row["benchit_version"] = versions["benchit"]
    row["status"] = "benchmarked" if base.get("build_status") != "failed" else "failed"
    mean = entry.get("mean_ms")
    if row["device"] == "x86":
        row["x86_latency"] = mean
    elif row["device"] == "nvidia":
        row["nvidia_latency"] = mean
    return row


def ordered_columns(rows: list[dict[str, Any]]) -> list[str]:
    """COLUMNS, then per-stage columns in first-seen order, then anything else."""
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in extra:
                extra[key] = None
    known = set(COLUMNS)
    errors = [k for k in extra if k.startswith("error_") and k not in known]
    seconds = [k for k in extra if k.startswith("seconds_") and k not in known]
    rest = [k for k in extra if k not in known and k not in errors and k not in seconds]
    return COLUMNS + errors + seconds + rest
