"""`hydra/launcher=submitit_slurm`: hydra-submitit-launcher's Slurm launcher, with what a benchit sweep needs.

conf/hydra/launcher/submitit_slurm.yaml points Hydra at this class (same settings as the plugin's own config). On
the node each job still runs the plugin's own code (submitit pickles a `SlurmLauncher` of hydra-submitit-launcher,
which every node with the extra can import); only the submitting side is benchit's:

- each job gets the submitter's cache folder (`cache.dir` resolved here, absolute: runner/cluster.py);
- `<sweep>/jobs.json` lists every job submitted with its Slurm id and log files: summary.csv lists a job that never
  got a folder, and a failed job's console line points at its log (`.submitit/<id>/<id>_0_log.out`);
- an sbatch refusal (bad partition, GPUs the node lacks, a time limit over the partition's) is one line naming the
  setting to change, printed once, recorded in jobs.json and summary.csv (exit 2);
- a job Slurm ended without a result (scancel before or while it ran, its time limit, a lost node) gets a
  results.json saying so: the sweep exits 1 instead of raising submitit's UncompletedJobError;
- Ctrl-C cancels every job this sweep submitted (`scancel ARRAY_ID`), says which, and waits up to 30 s for
  Slurm to end them, so nothing keeps running or writes into the sweep afterwards.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

# Keys of hydra-submitit-launcher's BaseQueueConf: submitit's own names; every other key gets `slurm_` in front.
_BASE_KEYS = {"submitit_folder", "timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb",
              "nodes", "name", "stderr_to_stdout"}
_INIT_KEYS = {"max_num_timeout"}
_ACTIVE = ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", "RESIZING", "STAGE_OUT")
# Slurm ended the job: its result, if it left one, is only what it had done by then.
_ENDED_BY_SLURM = ("CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE")
CANCEL_WAIT_S = 30.0
FORCE_CHECK_S = 10.0  # ask sacct at least this often while waiting (submitit alone backs off to 10 minutes)


class BenchitSlurmLauncher(Launcher):
    def __init__(self, **params: Any) -> None:
        self.params = {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
                       for k, v in params.items()}
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.task_function: Optional[TaskFunction] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    # ------------------------------------------------------------------------------------------------ launch
    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.singleton import Singleton
        from hydra.core.utils import filter_overrides

        from benchit.runner.cluster import job_folder, pin_cache_dir, write_launched

        assert self.config is not None and self.hydra_context is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info(f"Submitit 'slurm' sweep output dir : {sweep_dir}")
        subdir = OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir", "${hydra.job.num}")
        cache_dir = str(self.config.cache.dir)
        entries, job_params = [], []
        for idx, overrides in enumerate(job_overrides, initial_job_idx):
            overrides = pin_cache_dir(list(overrides), cache_dir)
            log.info(f"\t#{idx} : {' '.join(filter_overrides([o for o in overrides if not o.startswith('cache.dir=')]))}")
            entries.append({"dir": job_folder(overrides, str(subdir), idx), "num": idx, "overrides": overrides,
                            "id": "", "logs": [], "status": "", "error": ""})
            job_params.append((overrides, "hydra.sweep.dir", idx, f"job_id_for_{idx}", Singleton.get_state()))
        folder = _common_folder(sweep_dir, entries)
        jobs = self._submit(job_params, folder, entries)
        for entry, job in zip(entries, jobs):
            entry["id"] = str(job.job_id)
            entry["logs"] = [str(job.paths.stdout), str(job.paths.stderr)]
        write_launched(folder, "submitit_slurm", entries)
        log.info(f"Submitted Slurm job {_arrays(jobs)} ({len(jobs)} task(s)); Ctrl-C cancels them")
        try:
            _wait(jobs)
        except KeyboardInterrupt:
            self._cancel(jobs, entries, folder)
            raise
        return [self._outcome(job, entry, folder) for job, entry in zip(jobs, entries)]

    def _executor(self):
        import submitit
        from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher

        params = dict(self.params)
        init = {"folder": params.pop("submitit_folder")}
        init.update({f"slurm_{k}": params.pop(k) for k in _INIT_KEYS if k in params})
        executor = submitit.AutoExecutor(cluster="slurm", **init)
        executor.update_parameters(**{k if k in _BASE_KEYS else f"slurm_{k}": v for k, v in params.items()})
        inner = SlurmLauncher(**self.params)  # what runs on the node: the plugin's class, importable there
        inner.setup(hydra_context=self.hydra_context, task_function=self.task_function, config=self.config)
        return executor, inner

    def _submit(self, job_params: list, folder: Path, entries: list[dict]) -> list:
        from submitit.core.utils import FailedJobError

        from benchit.runner.cluster import LaunchError, explain_sbatch_refusal, write_launched

        executor, inner = self._executor()
        captured = io.StringIO()
        try:
            with redirect_stderr(captured):  # submitit prints sbatch's stderr itself: the one line below says it
                return executor.map_array(inner, *zip(*job_params))
        except (FailedJobError, subprocess.CalledProcessError) as error:
            text = str(getattr(error, "stderr", None) or error) or captured.getvalue()
            partitions = _slurm_info(["sinfo", "-h", "-o", "%R"]).replace("\n", ", ")
            limit = _slurm_info(["sinfo", "-h", "-o", "%l"] + (["-p", str(self.params["partition"])]
                                                               if self.params.get("partition") else []))
            line = explain_sbatch_refusal(text, self.params, len(entries), partitions, limit.split("\n")[0])
            for entry in entries:
                entry.update(status="failed", error=f"not submitted: {line}")
            write_launched(folder, "submitit_slurm", entries, error=line)
            _write_summary(folder)
            raise LaunchError(line) from None

    # ------------------------------------------------------------------------------------------------ the end
    def _outcome(self, job, entry: dict, folder: Path) -> JobReturn:
        """The job's JobReturn. A job Slurm ended (scancel, time limit, a lost node) gets the reason in its
        results.json, whether or not it got to leave a result (its own process ignores SIGTERM: submitit's)."""
        from submitit.core.utils import FailedJobError, UncompletedJobError

        state = _state(job)
        ended_by_slurm = state.upper().startswith(_ENDED_BY_SLURM)
        if job.paths.result_pickle.exists() or state.upper().startswith("COMPLETED"):
            try:
                result = job.results()[0]
            except (UncompletedJobError, FailedJobError) as error:
                return self._unfinished(job, entry, folder, state or "UNKNOWN", str(error).splitlines()[0])
            if ended_by_slurm:
                self._unfinished(job, entry, folder, state)
            return result
        return self._unfinished(job, entry, folder, state)

    def _unfinished(self, job, entry: dict, folder: Path, state: str, detail: str = "") -> JobReturn:
        from benchit.runner.cluster import record_unfinished, slurm_outcome, update_launched

        _wait_gone([str(job.job_id)], CANCEL_WAIT_S)  # a cancelled job may still be ending: let it finish first
        job_dir = folder / entry["dir"]
        started = job_dir.is_dir() or any(Path(log).exists() for log in entry["logs"])
        status, reason = slurm_outcome(str(job.job_id), state, started, self.params.get("timeout_min"))
        if detail and status.value == "missing":
            reason = f"{reason}: {detail}"
        record_unfinished(job_dir, status, reason)
        update_launched(folder, {entry["dir"]: {"status": status.value, "error": reason}})
        return _empty_return(entry["overrides"])

    def _cancel(self, jobs: list, entries: list[dict], folder: Path) -> None:
        """Ctrl-C: scancel what this sweep submitted, say so, wait for Slurm to end it, record why."""
        from benchit.records import Status
        from benchit.runner.cluster import record_unfinished, update_launched

        arrays = _arrays(jobs)
        left = [j for j in jobs if not j.paths.result_pickle.exists()]
        try:
            proc = subprocess.run(["scancel", *arrays.split(", ")], capture_output=True, text=True, timeout=60)
            problem = proc.stderr.strip() if proc.returncode else ""
        except (OSError, subprocess.SubprocessError) as error:
            problem = str(error)
        tasks = ", ".join(str(j.job_id) for j in left)
        if problem:
            print(f"benchit: could not cancel Slurm job {arrays}: {problem} "
                  f"(cancel it yourself: scancel {arrays.replace(',', '')})", file=sys.stderr)
            return
        try:
            gone = _wait_gone([str(j.job_id) for j in left], CANCEL_WAIT_S)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            gone = False
        state = ("Slurm has ended them" if gone else
                 f"Slurm still lists some after {CANCEL_WAIT_S:.0f} s: squeue -j {arrays.replace(' ', '')}")
        print(f"benchit: cancelled Slurm job {arrays} (scancel {arrays.replace(',', '')}): "
              + (f"tasks {tasks} had not finished; {state}" if tasks else "all its tasks had finished"),
              file=sys.stderr)
        updates = {}
        for job, entry in zip(jobs, entries):
            if job in left:
                reason = f"cancelled by benchit on Ctrl-C (Slurm job {job.job_id})"
                record_unfinished(folder / entry["dir"], Status.INTERRUPTED, reason)
                updates[entry["dir"]] = {"status": Status.INTERRUPTED.value, "error": reason}
        update_launched(folder, updates)
        _write_summary(folder)


# ------------------------------------------------------------------------------------------------ helpers
def _common_folder(sweep_dir: Path, entries: list[dict]) -> Path:
    """Where jobs.json goes: the folder holding the jobs' folders (`<sweep>/build` for two_phase's builds)."""
    parents = {str(Path(e["dir"]).parent) for e in entries}
    if len(parents) == 1:
        (parent,) = parents
        if parent != ".":
            for entry in entries:
                entry["dir"] = Path(entry["dir"]).name
            return sweep_dir / parent
    return sweep_dir


def _arrays(jobs: list) -> str:
    """The Slurm job ids of these jobs, arrays once (`9` for the tasks 9_0 and 9_1)."""
    ids = []
    for job in jobs:
        main = str(job.job_id).split("_")[0]
        if main not in ids:
            ids.append(main)
    return ", ".join(ids)


def _state(job) -> str:
    try:
        return str(job.watcher.get_state(job.job_id, mode="force"))
    except Exception:  # noqa: BLE001 - sacct unreachable: the state is unknown, the job still gets a record
        return "UNKNOWN"


def _wait(jobs: list) -> None:
    """Until every job has a result or Slurm says it ended; sacct is asked at least every FORCE_CHECK_S."""
    pending, last = list(jobs), time.monotonic()
    while pending:
        force = time.monotonic() - last > FORCE_CHECK_S
        if force:
            last = time.monotonic()
            jobs[0].watcher.update()
        pending = [j for j in pending if not j.done()]
        if pending:
            time.sleep(1)


def _wait_gone(ids: list[str], timeout: float) -> bool:
    """Until squeue lists none of `ids` as pending, running or completing (True), or `timeout` seconds."""
    if not ids:
        return True
    deadline = time.monotonic() + timeout
    while True:
        out = _slurm_info(["squeue", "-h", "-r", "-o", "%i|%T", "-j", ",".join(ids)])
        if not any(line.split("|")[-1] in _ACTIVE for line in out.splitlines()):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(1)


def _slurm_info(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _empty_return(overrides: list[str]) -> JobReturn:
    ret = JobReturn(overrides=overrides, status=JobStatus.COMPLETED)
    ret.return_value = None
    return ret


def _write_summary(folder: Path) -> None:
    from benchit.report.sweep import write_summary

    try:
        write_summary(folder)
    except Exception as error:  # noqa: BLE001 - the summary is a convenience: never hide the real problem
        print(f"benchit: warning: could not write {folder / 'summary.csv'}: {error}", file=sys.stderr)
