"""What a sweep's jobs need when a cluster runs them, beside Hydra's launchers (docs/studies.md, "Clusters").

The launchers in benchit/_hydra_plugins (`hydra/launcher=submitit_slurm`, `ray`, `two_phase`) use these; nothing
here imports Hydra, submitit or Ray, so `benchit report` can read what they record.

- `pin_cache_dir`: each job gets the submitter's cache folder, resolved here (BENCHIT_CACHE_DIR, a relative
  `cache.dir`), as an override that travels with the job: a Ray worker has the head's environment and working
  directory, not the submitter's.
- `jobs.json` in the folder of a launch's jobs (the sweep dir; `<sweep>/build` for two_phase's builds): every job
  the launcher handed to the cluster, its cluster id and log files, and why one never ran. summary.csv lists a job
  that never got a folder from it, and a failure line points at the job's log.
- `record_unfinished`: results.json for a job the cluster ended before it reported (scancel, time limit, lost
  node), with the reason, so the sweep exits 1 and summary.csv says why.
- `explain_sbatch_refusal`: sbatch's refusal as one line naming the launcher setting to change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Optional

from benchit.cache.files import read_json, write_json
from benchit.cache.layout import resolve_cache_dir
from benchit.data import from_data, to_data
from benchit.records import JobRecord, Status

JOBS_FILE = "jobs.json"


class LaunchError(Exception):
    """The cluster refused the sweep before any job ran; the message is the one line the user sees (exit 2)."""


# ---------------------------------------------------------------------------------------- what travels with a job
def pin_cache_dir(overrides: list[str], cache_dir: str) -> list[str]:
    """`overrides` with `cache.dir` set to the submitter's cache folder, absolute (replacing a `cache.dir=` given)."""
    path = str(resolve_cache_dir(cache_dir))
    kept = [o for o in overrides if not re.match(r"^\+{0,2}cache\.dir=", o)]
    quoted = path.replace("\\", "\\\\").replace("'", "\\'")
    return [*kept, f"cache.dir='{quoted}'"]


def job_folder(overrides: list[str], subdir: str, num: int) -> str:
    """A job's folder below the sweep dir: `hydra.sweep.subdir` (an override, else the config's), for job `num`."""
    for override in overrides:
        if override.startswith("hydra.sweep.subdir="):
            subdir = override.split("=", 1)[1]
    folder = str(subdir).replace("${hydra.job.num}", str(num))
    return str(num) if "${" in folder or not folder else folder


# ---------------------------------------------------------------------------------------- jobs.json
def write_launched(folder: Path, launcher: str, jobs: list[dict], error: str = "") -> Path:
    """Add `jobs` (each: dir, num, overrides, id, logs, status, error) to `folder/jobs.json` (a later batch
    of the same sweep adds to it; the same `dir` again replaces its entry)."""
    path = Path(folder) / JOBS_FILE
    record = read_launched(folder) or {"launcher": launcher, "error": "", "jobs": []}
    fresh = {str(job["dir"]) for job in jobs}
    record["jobs"] = [j for j in record.get("jobs", []) if str(j.get("dir")) not in fresh] + jobs
    record["launcher"] = launcher
    if error:
        record["error"] = error
    Path(folder).mkdir(parents=True, exist_ok=True)
    write_json(path, record)
    return path


def read_launched(folder: Path) -> Optional[dict]:
    """`folder/jobs.json`, or None where no cluster launcher wrote one (or it cannot be read)."""
    try:
        record = read_json(Path(folder) / JOBS_FILE)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("jobs"), list) else None


def update_launched(folder: Path, updates: dict[str, dict]) -> None:
    """Merge `updates` (dir -> fields) into the entries of `folder/jobs.json`."""
    record = read_launched(folder)
    if record is None:
        return
    for job in record["jobs"]:
        job.update(updates.get(str(job.get("dir")), {}))
    write_json(Path(folder) / JOBS_FILE, record)


# ---------------------------------------------------------------------------------------- jobs that never reported
def record_unfinished(job_dir: Path, status: Status, reason: str) -> None:
    """results.json for a job the cluster ended without a result: what it wrote so far stays, the reason is added.

    A job whose own results.json says it finished (status ok) is left as it is: its work was done.
    """
    path = Path(job_dir) / "results.json"
    try:
        job = from_data(JobRecord, read_json(path))
    except (OSError, ValueError, TypeError, KeyError):
        job = JobRecord(status=status)
    if job.status is Status.OK and path.is_file():
        return
    job.status, job.error = status, reason
    Path(job_dir).mkdir(parents=True, exist_ok=True)
    write_json(path, to_data(job))


def slurm_outcome(job_id: str, state: str, started: bool, timeout_min: Any = None) -> tuple[Status, str]:
    """The status and reason of a Slurm job that ended without a result, from its state in sacct."""
    word = (state or "UNKNOWN").split()[0].upper()
    where = f"Slurm job {job_id}: {state or 'no state'}"
    if word == "CANCELLED":
        if started:
            return Status.INTERRUPTED, f"cancelled while running ({where}; scancel, or an administrator)"
        return Status.CANCELLED, f"cancelled before it started ({where})"
    if word == "TIMEOUT":
        return Status.TIMED_OUT, (f"Slurm ended it at its time limit ({where}; raise hydra.launcher.timeout_min"
                                  + (f", now {timeout_min}" if timeout_min else "") + ")")
    if word == "OUT_OF_MEMORY":
        return Status.KILLED, f"Slurm killed it: out of memory ({where}; raise hydra.launcher.mem_gb)"
    if word in ("NODE_FAIL", "BOOT_FAIL", "PREEMPTED", "DEADLINE", "REVOKED"):
        return Status.KILLED, f"Slurm ended it ({where})"
    return Status.MISSING, f"the job ended without a result ({where})"


# ---------------------------------------------------------------------------------------- sbatch's refusals
# What sbatch says (lowercase) -> the launcher settings that can cause it, the first one that is set is named.
_SBATCH_CAUSES = [  # the most specific first: "time limit exceeds the partition's" is about the time limit
    ("time limit", ("timeout_min",)),
    ("generic resource", ("gpus_per_node", "gpus_per_task", "gres")),
    ("gres", ("gpus_per_node", "gpus_per_task", "gres")),
    ("node configuration is not available", ("gpus_per_node", "cpus_per_task", "mem_gb", "nodes",
                                             "tasks_per_node", "constraint")),
    ("memory", ("mem_gb", "mem_per_cpu", "mem_per_gpu")),
    ("account", ("account",)),
    ("qos", ("qos",)),
    ("partition", ("partition",)),
    ("constraint", ("constraint",)),
    ("node count", ("nodes",)),
]


def sbatch_reason(text: str) -> str:
    """sbatch's own words, without its `sbatch: error:` prefixes and submitit's `Command [...] returned`."""
    parts = []
    for line in str(text).replace("; ", "\n").splitlines():
        line = line.strip()
        if not line or line.startswith("Command '") or "returned non-zero exit status" in line:
            continue
        line = re.sub(r"^(sbatch: )?error: ", "", line).strip()
        if line and line not in parts:
            parts.append(line)
    return "; ".join(parts) or "sbatch failed without a message"


def explain_sbatch_refusal(text: str, params: dict, jobs: int, partitions: str = "", time_limit: str = "") -> str:
    """One line: what sbatch refused, and the `hydra.launcher.KEY=` to change."""
    reason = sbatch_reason(text)
    low = reason.lower()
    setting = None
    for needle, keys in _SBATCH_CAUSES:
        if needle in low:
            setting = next((k for k in keys if params.get(k) not in (None, "", {}, [])), keys[0])
            break
    line = f"sbatch refused the sweep's {jobs} job(s): {reason}"
    if setting is None:
        return f"{line}; check the hydra.launcher.* settings (partition, timeout_min, gpus_per_node, mem_gb, ...)"
    value = params.get(setting)
    notes = []
    if setting == "partition" and partitions:
        notes.append(f"partitions here: {partitions}")
    if setting == "timeout_min" and time_limit:
        notes.append(f"the partition's time limit: {time_limit}")
    line += f"; change hydra.launcher.{setting}" + (f"={value}" if value not in (None, "") else "")
    if notes:
        line += f" ({'; '.join(notes)})"
    return line


def expected_job_dirs(sweep_dir: Path) -> dict[str, dict]:
    """The jobs a launcher recorded in `sweep_dir/jobs.json`, by folder name (only folders directly below)."""
    record = read_launched(sweep_dir) or {}
    found = {}
    for job in record.get("jobs", []):
        folder = str(job.get("dir", ""))
        if folder and os.sep not in folder and "/" not in folder:
            found[folder] = job
    return found
