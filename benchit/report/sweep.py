"""Sweep summaries: `summary.csv` in a sweep directory, one row per job x script x model invocation.

Built only from the files each job leaves (`<job>/results.json`, a JobRecord, and `<job>/.hydra/overrides.yaml`),
so `benchit report SWEEP_DIR` rebuilds it at any time, also for a sweep that was interrupted. Every row has
its own status and error line: a job that benchmarked two models and failed a third has three rows; a job that
could not start, or left no results, has one row saying so. Where a cluster launcher recorded the jobs it
submitted (`jobs.json`, runner/cluster.py), a job that never got a folder (cancelled before it started, refused
by sbatch, lost) is a row too, and a failed job's line names its cluster log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.files import read_json, read_yaml
from benchit.data import from_data
from benchit.records import JobRecord, ScriptRecord, Status
from benchit.report.rows import labels_text, shapes_text
from benchit.runner.cluster import expected_job_dirs

SUMMARY_NAME = "summary.csv"
SUMMARY_COLUMNS = [
    "job", "overrides", "status", "error", "log", "script", "model_name", "author", "task", "labels", "variable_name",
    "model_class", "params", "hash", "invocation", "input_shapes", "build_name", "build_config", "device",
    "device_name", "runtime", "sequence", "batch_size", "mean_ms", "median_ms", "p90_ms", "p99_ms", "cv",
    "unstable", "unstable_reason", "throughput_ips", "samples_per_second", "load_ms", "first_call_ms",
    "peak_rss_mb", "device_memory_mb", "max_abs_error", "failed_stage", "from_cache", "warnings", "script_status",
    "mode", "job_dir",
]
_BENCHMARK = ("device", "device_name", "runtime", "batch_size", "mean_ms", "median_ms", "p90_ms", "p99_ms", "cv",
              "unstable", "unstable_reason", "throughput_ips", "samples_per_second", "load_ms", "first_call_ms",
              "peak_rss_mb", "device_memory_mb")


@dataclass
class SweepScan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    jobs: int = 0
    failed_jobs: int = 0
    job_logs: dict[str, str] = field(default_factory=dict)  # job -> its cluster log (Slurm's .submitit/<id>/...)


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
    try:
        data = read_yaml(job_dir / ".hydra" / "overrides.yaml")
    except Exception:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def scan_sweep(sweep_dir: Path) -> SweepScan:
    scan = SweepScan()
    launched = expected_job_dirs(sweep_dir)
    found = job_dirs(sweep_dir)
    for job_dir in found:
        scan.jobs += 1
        rows = job_rows(sweep_dir, job_dir, scan.warnings, launched.get(job_dir.name))
        if any(Status(r["status"]).is_failure for r in rows if r["status"] in Status._value2member_map_):
            scan.failed_jobs += 1
        scan.rows.extend(rows)
    for name in _never_started(launched, found):
        scan.jobs += 1
        scan.failed_jobs += 1
        scan.rows.append(launched_row(sweep_dir, name, launched[name]))
    scan.rows.sort(key=lambda r: _job_order(str(r.get("job", ""))))
    scan.job_logs = {name: log for name, entry in launched.items() if (log := _cluster_log(entry))}
    return scan


def _job_order(name: str) -> tuple:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def missing_launched_jobs(sweep_dir: Path) -> list[str]:
    """Jobs a cluster launcher submitted (jobs.json) that have no folder with results.json or .hydra/."""
    return _never_started(expected_job_dirs(sweep_dir), job_dirs(sweep_dir) if Path(sweep_dir).is_dir() else [])


def _never_started(launched: dict, found: list[Path]) -> list[str]:
    """The submitted jobs (jobs.json) that never wrote their folder."""
    have = {p.name for p in found}
    return [name for name in launched if name not in have]


def _cluster_log(entry: dict) -> str:
    """The job's cluster log that exists: the one it writes its tree to (stdout) first."""
    logs = [str(p) for p in entry.get("logs") or []]
    return next((p for p in logs if os.path.isfile(p)), "")


def launched_row(sweep_dir: Path, name: str, entry: dict) -> dict[str, Any]:
    """The row of a job a cluster launcher submitted that never wrote its folder."""
    status = str(entry.get("status") or Status.MISSING.value)
    if status not in Status._value2member_map_:
        status = Status.FAILED.value
    cluster = f" (cluster job {entry['id']})" if entry.get("id") else ""
    error = _first_line(entry.get("error")) or (f"no folder: the job never started{cluster}: cancelled before "
                                                 "it ran, still queued, or lost by the cluster")
    return {"job": name, "overrides": " ".join(str(o) for o in entry.get("overrides") or []), "status": status,
            "error": error, "log": _cluster_log(entry), "job_dir": str(Path(sweep_dir) / name)}


def job_rows(sweep_dir: Path, job_dir: Path, warnings: list[str], launched: dict | None = None) -> list[dict[str, Any]]:
    overrides = _overrides(job_dir) or [str(o) for o in (launched or {}).get("overrides") or []]
    base = {"job": job_dir.name if job_dir != sweep_dir else "", "overrides": " ".join(overrides),
            "job_dir": str(job_dir)}
    results_path = job_dir / "results.json"
    if not results_path.is_file():
        return [{**base, "status": Status.MISSING.value,
                 "error": "no results.json: the job did not finish (interrupted, killed, or still running)"}]
    try:
        job = from_data(JobRecord, read_json(results_path))
    except Exception as error:
        warnings.append(f"broken results file {results_path}: {_first_line(error)}")
        return [{**base, "status": Status.BROKEN.value, "error": f"results.json is not valid ({_first_line(error)})"}]
    config = job.config
    base.update(device=(config.get("device") or {}).get("name", ""),
                runtime=(config.get("device") or {}).get("runtime", ""),
                sequence=(config.get("sequence") or {}).get("name", ""), mode=config.get("mode", ""))
    rows = [row for n, script in enumerate(job.scripts, 1) for row in script_rows(base, job_dir, script)]
    if job.status in (Status.INTERRUPTED, Status.CANCELLED) and rows:  # the job's end, after its scripts' rows
        rows.append({**base, "status": job.status.value, "error": _first_line(job.error)
                     or f"the job was interrupted after {len(job.scripts)} script(s)"})
    if not rows:
        rows.append({**base, "status": job.status.value if job.status.is_failure else Status.NO_MODELS.value,
                     "error": _first_line(job.error) or "the job ran no script"})
    return rows


def script_rows(base: dict, job_dir: Path, script: ScriptRecord) -> list[dict[str, Any]]:
    labels = script.labels
    failed = script.status.is_failure
    common = {**base, "script": script.script, "script_status": script.status.value,
              "model_name": labels.get("name") or Path(script.script).stem, "author": labels.get("author", ""),
              "task": labels.get("task", ""), "labels": labels_text(labels)}
    rows = []
    for model, inv in script.invocations():
        row = {**common, "variable_name": model.name, "model_class": model.class_name, "params": model.params,
               "hash": model.hash, "invocation": inv.index, "input_shapes": shapes_text(inv.inputs),
               "build_name": inv.build_name, "build_config": inv.build_config, "from_cache": inv.from_cache,
               "failed_stage": inv.failed_stage, "log": inv.log, "warnings": "; ".join(inv.warnings),
               "status": inv.status.value}
        if inv.sequence:
            row["sequence"] = inv.sequence
        if inv.status is Status.FAILED:
            row["error"] = _first_line(inv.message)
        elif failed and inv.status is Status.NOT_REACHED:  # the script's end explains why this one never ran
            row["error"] = _first_line(script.message)
        checks = list(inv.validation.values())
        if checks:
            row["max_abs_error"] = checks[-1].max_abs_error
        if inv.benchmark is not None:
            from benchit.data import flat

            values = flat(inv.benchmark)
            row.update({key: values.get(key) for key in _BENCHMARK})
        rows.append(row)
    if not rows or (failed and not any(r["status"] == Status.FAILED.value for r in rows)):
        status = script.status.value if failed or script.status is not Status.NO_MODELS else Status.NO_MODELS.value
        rows.append({**common, "status": status, "error": _first_line(script.message or script.error)})
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


MAX_FAILURE_LINES = 20


def failure_lines(rows: list[dict], job_logs: dict[str, str] | None = None) -> list[str]:
    """One line per failed job x script x model: where, why, and the log that says more (a cluster job's own
    log too, from `job_logs`: job -> path)."""
    from benchit.records import Status

    failures = [r for r in rows if r.get("status") in Status._value2member_map_ and Status(r["status"]).is_failure]
    variants = variant_labels(rows)
    job_logs = job_logs or {}
    lines = []
    for row in failures[:MAX_FAILURE_LINES]:
        what = row.get("build_name") or (row.get("script") or "").rsplit("/", 1)[-1]
        job = f"job {row.get('job')} ({variants.get(str(row.get('job', '')), '')})"
        stage = f" at {row['failed_stage']}" if row.get("failed_stage") else ""
        where = f"log: {row['log']}" if row.get("log") else f"job folder: {row.get('job_dir')}"
        cluster_log = job_logs.get(str(row.get("job", "")), "")
        if cluster_log and cluster_log != row.get("log"):
            where += f"; job log: {cluster_log}"
        lines.append(f"  {job}: {what + ': ' if what else ''}{row.get('status')}{stage}: {row.get('error') or ''}"
                     + (f" ({where})" if where not in str(row.get("error")) else ""))
    if len(failures) > MAX_FAILURE_LINES:
        lines.append(f"  ... and {len(failures) - MAX_FAILURE_LINES} more failures in summary.csv")
    return lines
