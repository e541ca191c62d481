"""Sweep summaries: `summary.csv` in a sweep directory, one row per job and model invocation.

Built only from the files each job leaves (`<job>/results.json`, `<job>/.hydra/overrides.yaml`),
so `benchit report SWEEP_DIR` rebuilds it at any time, also for a sweep that was interrupted:
a job that failed before running scripts has a row with its error, a job that never finished
has a row with status `missing`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.files import read_yaml
from benchit.report.builds import labels_text, shapes_text

SUMMARY_NAME = "summary.csv"
SUMMARY_COLUMNS = [
    "job", "overrides", "status", "error", "script", "model_name", "author", "task", "labels", "variable_name",
    "model_class", "params", "hash", "invocation", "input_shapes", "build_name", "device", "device_name",
    "runtime", "sequence", "mean_ms", "median_ms", "p90_ms", "p99_ms", "cv", "throughput_ips", "max_abs_error",
    "from_cache", "warnings", "script_status", "mode", "job_dir",
]


@dataclass
class SweepScan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    jobs: int = 0
    failed_jobs: int = 0


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The jobs of a sweep (folders with results.json or .hydra/), in job order; a run folder is its own job."""
    if (sweep_dir / "results.json").is_file():
        return [sweep_dir]
    found = []
    with os.scandir(sweep_dir) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                if os.path.isfile(os.path.join(entry.path, "results.json")) or \
                        os.path.isdir(os.path.join(entry.path, ".hydra")):
                    found.append(Path(entry.path))
    return sorted(found, key=lambda p: (0, int(p.name), "") if p.name.isdigit() else (1, 0, p.name))


def is_sweep_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "multirun.yaml").is_file() or bool(job_dirs(path)))


def _overrides(job_dir: Path) -> list[str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    try:
        data = read_yaml(path)
    except Exception:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def scan_sweep(sweep_dir: Path) -> SweepScan:
    scan = SweepScan()
    for job_dir in job_dirs(sweep_dir):
        scan.jobs += 1
        rows = job_rows(sweep_dir, job_dir, scan.warnings)
        if any(r["status"] in ("failed", "missing", "broken", "timed_out", "killed") for r in rows):
            scan.failed_jobs += 1
        scan.rows.extend(rows)
    return scan


def job_rows(sweep_dir: Path, job_dir: Path, warnings: list[str]) -> list[dict[str, Any]]:
    overrides = _overrides(job_dir)
    base = {"job": job_dir.name if job_dir != sweep_dir else "", "overrides": " ".join(overrides),
            "job_dir": str(job_dir)}
    results_path = job_dir / "results.json"
    if not results_path.is_file():
        return [{**base, "status": "missing",
                 "error": "no results.json: the job did not finish (interrupted, killed, or still running)"}]
    try:
        with open(results_path, encoding="utf-8") as f:
            results = json.load(f)
        if not isinstance(results, dict):
            raise ValueError("not a JSON object")
    except Exception as error:
        warnings.append(f"broken results file {results_path}: {_first_line(error)}")
        return [{**base, "status": "broken", "error": f"results.json is not valid ({_first_line(error)})"}]
    config = results.get("config") or {}
    device_cfg = config.get("device") or {}
    base.update(device=device_cfg.get("name", ""), runtime=device_cfg.get("runtime", ""),
                sequence=(config.get("sequence") or {}).get("name", ""), mode=config.get("mode", ""))
    scripts = results.get("scripts") or []
    if results.get("status") == "failed" or not scripts:
        return [{**base, "status": results.get("status") or "failed",
                 "error": _first_line(results.get("error")) or "the job ran no script"}]
    rows = []
    for n, script in enumerate(scripts, 1):
        if not isinstance(script, dict):
            continue
        rows.extend(_script_rows(base, job_dir, n, script))
    return rows


def _labels(job_dir: Path, n: int, script_path: str) -> dict[str, str]:
    job_file = job_dir / "scripts" / f"{n:03d}_{Path(script_path).stem}" / "job.json"
    try:
        with open(job_file, encoding="utf-8") as f:
            labels = json.load(f).get("labels") or {}
        return labels if isinstance(labels, dict) else {}
    except Exception:
        return {}


def _script_rows(base: dict, job_dir: Path, n: int, script: dict) -> list[dict[str, Any]]:
    path = str(script.get("script", ""))
    labels = _labels(job_dir, n, path)
    script_status = script.get("status", "")
    script_error = _first_line(script.get("message") or script.get("error")) if script_status != "ok" else ""
    common = {**base, "script": path, "script_status": script_status,
              "model_name": labels.get("name") or Path(path).stem, "author": labels.get("author", ""),
              "task": labels.get("task", ""), "labels": labels_text(labels)}
    models = script.get("models") or []
    rows = []
    for model in models:
        if not isinstance(model, dict):
            continue
        for inv in model.get("invocations") or []:
            row = {**common, "variable_name": model.get("name", ""), "model_class": model.get("class_name", ""),
                   "params": model.get("params"), "hash": model.get("hash", ""), "invocation": inv.get("index"),
                   "input_shapes": shapes_text(inv.get("inputs")), "build_name": inv.get("build_name", ""),
                   "from_cache": inv.get("from_cache"),
                   "warnings": "; ".join(str(w) for w in inv.get("warnings") or [])}
            status = inv.get("status", "")
            if not inv.get("selected") and status == "analyzed":
                status = "not selected" if common.get("mode") != "analyze" else "analyzed"
            row["status"] = status
            row["error"] = _first_line(inv.get("message")) if status == "failed" else script_error
            validation = inv.get("validation") or {}
            errors = [c.get("max_abs_error") for c in validation.values() if isinstance(c, dict)]
            if errors:
                row["max_abs_error"] = errors[-1]
            bench = inv.get("benchmark") or {}
            for key in ("device", "device_name", "runtime", "mean_ms", "median_ms", "p90_ms", "p99_ms", "cv",
                        "throughput_ips"):
                if bench.get(key) is not None:
                    row[key] = bench[key]
            rows.append(row)
    if not rows:
        status = script_status if script_status != "ok" else "no models"
        rows.append({**common, "status": status,
                     "error": script_error or _first_line(script.get("message"))})
    return rows


def write_summary(sweep_dir: Path, out: Path | None = None) -> tuple[Path, SweepScan]:
    """Write (or rewrite) the sweep's summary.csv; safe when several jobs finish at once."""
    from filelock import FileLock

    from benchit.report.output import write_csv

    sweep_dir = Path(sweep_dir)
    out = Path(out) if out else sweep_dir / SUMMARY_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out.parent / f".{out.name}.lock")):  # beside the file: a read-only sweep can go elsewhere
        scan = scan_sweep(sweep_dir)
        write_csv(scan.rows, SUMMARY_COLUMNS, out)
    return out, scan


def variant_labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per job: the overrides that differ between jobs (what the sweep asks about)."""
    per_job: dict[str, list[str]] = {}
    for row in rows:
        per_job.setdefault(str(row.get("job", "")), str(row.get("overrides") or "").split())
    if not per_job:
        return {}
    common = set.intersection(*(set(v) for v in per_job.values())) if len(per_job) > 1 else set()
    labels = {}
    for job, overrides in per_job.items():
        differing = [o for o in overrides if o not in common]
        labels[job] = " ".join(differing) or (f"job {job}" if job else "run")
    return labels
