"""`hydra/launcher=two_phase`: build every job in parallel, then benchmark them one at a time.

Builds may run side by side (they only need CPU and the cache); benchmarks on one host must not, because they
disturb each other's measurements. For each batch of jobs of a multirun this launcher

1. runs every job with `mode=build` on the `build` launcher (joblib by default: parallel processes), each writing
   under `<sweep dir>/build/<job num>/`;
2. runs every job as it was asked (normally `mode=benchmark`) on the `benchmark` launcher (Hydra's basic launcher:
   one job after another, in this process), each in `<sweep dir>/<job num>/` as in any sweep. Their builds come
   from the cache filled by phase 1 (cache.rebuild=if_needed), so phase 2 only analyzes and measures.

    benchit -m hydra/launcher=two_phase input=examples sequence=default,optimize_fp32
    benchit -m hydra/launcher=two_phase hydra.launcher.build.n_jobs=8 ...
    benchit -m hydra/launcher=two_phase hydra.launcher.build._target_=...SlurmLauncher ...   (builds on a cluster)
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)



class TwoPhaseLauncher(Launcher):
    def __init__(self, build: Optional[Any] = None, benchmark: Optional[Any] = None) -> None:
        self.build_cfg = build
        self.benchmark_cfg = benchmark
        self.launchers: dict[str, Launcher] = {}

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra.utils import instantiate

        for phase, cfg in (("build", self.build_cfg), ("benchmark", self.benchmark_cfg)):
            # `target`, not `_target_`: Hydra would instantiate a nested `_target_` itself, too early.
            cfg = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg or {})
            target = cfg.pop("target", "basic") or "basic"
            launcher = _basic() if target == "basic" else instantiate({"_target_": target, **cfg})
            launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)
            self.launchers[phase] = launcher

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        builds = [[*overrides, "mode=build", "hydra.sweep.subdir=build/${hydra.job.num}"]
                  for overrides in job_overrides]
        log.info(f"Phase 1 of 2: building {len(builds)} job(s) in parallel (mode=build)")
        self.launchers["build"].launch(builds, initial_job_idx=initial_job_idx)
        log.info(f"Phase 2 of 2: benchmarking {len(job_overrides)} job(s) one at a time")
        return self.launchers["benchmark"].launch(job_overrides, initial_job_idx=initial_job_idx)


def _basic() -> Launcher:
    from hydra._internal.core_plugins.basic_launcher import BasicLauncher

    return BasicLauncher()
