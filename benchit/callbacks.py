"""Hydra callbacks (registered in conf/config.yaml): summary.csv in every sweep, and the sweep's exit status.

SweepSummary keeps `summary.csv` in every sweep directory.

It rewrites the summary after each job of a multirun (so an interrupted sweep still has one up to
its last finished job) and once more when the multirun ends, then prints where it is. A problem
writing the summary is a warning: it never fails the sweep.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


def _sweep_dir_of_job() -> Path | None:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        hydra_cfg = HydraConfig.get()
    except ValueError:
        return None
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return None
    return Path(hydra_cfg.sweep.dir)


class ExitStatusCallback(Callback):
    """Remembers where a multirun writes its jobs, so the parent can tell whether any job failed."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        from benchit.app import RunOutcome

        RunOutcome.sweep_dirs.append(Path(str(config.hydra.sweep.dir)))


class SweepSummary(Callback):
    """`min_interval`: seconds between two per-job rewrites in one process (each rereads every job's
    results, so a sweep of thousands of jobs is not quadratic); the end of the multirun always writes."""

    def __init__(self, per_job: bool = True, min_interval: float = 5.0) -> None:
        self.per_job = per_job
        self.min_interval = float(min_interval)
        self._last = float("-inf")

    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        if not self.per_job or time.monotonic() - self._last < self.min_interval:
            return
        sweep_dir = _sweep_dir_of_job()
        if sweep_dir is not None:
            self._write(sweep_dir, quiet=True)
            self._last = time.monotonic()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            sweep_dir = Path(str(config.hydra.sweep.dir))
        except Exception as error:  # an unresolvable sweep dir: say so, never fail the sweep
            print(f"benchit: warning: no sweep summary ({error})", file=sys.stderr)
            return
        self._write(sweep_dir, quiet=False)

    @staticmethod
    def _write(sweep_dir: Path, quiet: bool) -> None:
        from benchit.report.sweep import failure_lines, write_summary

        if not sweep_dir.is_dir():
            return
        try:
            path, scan = write_summary(sweep_dir)
        except Exception as error:
            print(f"benchit: warning: could not write {sweep_dir / 'summary.csv'}: {error} "
                  f"(rebuild it with `benchit report {sweep_dir}`)", file=sys.stderr)
            return
        if not quiet:
            failed = f", {scan.failed_jobs} with failures" if scan.failed_jobs else ""
            print(f"Sweep summary ({scan.jobs} job{'s' if scan.jobs != 1 else ''}{failed}): {path}")
            for line in failure_lines(scan.rows, scan.job_logs):
                print(line)
            sys.stdout.flush()

