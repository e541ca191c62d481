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
    benchit -m hydra/launcher=two_phase hydra.launcher.build.target=submitit_slurm ...   (builds on Slurm)

`target` (not `_target_`: Hydra would instantiate a nested `_target_` itself, too early) is `basic` (Hydra's own
launcher), the name of a `hydra/launcher` config (`joblib`, `submitit_slurm`, `ray`, ...), or a launcher class;
the phase's other keys are that launcher's settings. A named config, or a class one of them runs (such as
hydra-submitit-launcher's `...submitit_launcher.SlurmLauncher`), is composed as `hydra/launcher=NAME` would be,
the phase's keys over its defaults, so only the settings that differ need saying; a Slurm build phase keeps its
submitit folder (sbatch scripts and logs) in `<sweep dir>/build/.submitit/`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger(__name__)


class TwoPhaseLauncher(Launcher):
    def __init__(self, build: Optional[Any] = None, benchmark: Optional[Any] = None) -> None:
        self.build_cfg = build
        self.benchmark_cfg = benchmark
        self.launchers: dict[str, Launcher] = {}

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        for phase, cfg in (("build", self.build_cfg), ("benchmark", self.benchmark_cfg)):
            cfg = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg or {})
            target = str(cfg.pop("target", "basic") or "basic")
            launcher = _basic() if target == "basic" else _launcher(target, cfg, phase, hydra_context, config)
            launcher.setup(hydra_context=hydra_context, task_function=task_function, config=config)
            self.launchers[phase] = launcher

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        builds = [[*overrides, "mode=build", "hydra.sweep.subdir=build/${hydra.job.num}"]
                  for overrides in job_overrides]
        log.info(f"Phase 1 of 2: building {len(builds)} job(s) in parallel (mode=build)")
        self.launchers["build"].launch(builds, initial_job_idx=initial_job_idx)
        log.info(f"Phase 2 of 2: benchmarking {len(job_overrides)} job(s) one at a time")
        return self.launchers["benchmark"].launch(job_overrides, initial_job_idx=initial_job_idx)


# Launcher classes whose settings come from a launcher config (hydra/launcher=NAME): without those defaults they
# cannot even start (hydra-submitit-launcher needs `submitit_folder`, the Ray launcher its `ray.init`).
KNOWN_CONFIGS = {
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher": "submitit_slurm",
    "hydra_plugins.benchit_slurm.BenchitSlurmLauncher": "submitit_slurm",
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher": "submitit_local",
    "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher": "ray",
    "hydra_plugins.benchit_ray.BenchitRayLauncher": "ray",
}


def _launcher(target: str, settings: dict, phase: str, hydra_context: HydraContext, config: DictConfig) -> Launcher:
    from hydra.utils import instantiate

    name = target if "." not in target else KNOWN_CONFIGS.get(target)
    if name is None:  # any other launcher class: its settings as given
        return instantiate({"_target_": target, **settings})
    composed = _launcher_config(name, hydra_context, config)
    # two_phase.yaml's build phase defaults to joblib's settings (n_jobs): a launcher without them gets the rest.
    unknown = [key for key in settings if key not in composed]
    if [key for key in unknown if key != "n_jobs"]:
        log.info(f"{phase} phase on hydra/launcher={name}: it has no setting {', '.join(unknown)}; left out")
    settings = {key: value for key, value in settings.items() if key in composed}
    if phase == "build" and "submitit_folder" in composed and "submitit_folder" not in settings:
        settings = {**settings, "submitit_folder": f"{config.hydra.sweep.dir}/build/.submitit/%j"}
    merged = OmegaConf.merge(composed, settings)
    # Resolve ${hydra.job.name} and the like against the sweep's own config.
    scratch = copy.deepcopy(config)
    with open_dict(scratch):
        scratch.hydra.launcher = merged
    params = OmegaConf.to_container(scratch.hydra.launcher, resolve=True)
    log.debug(f"{phase} phase: hydra/launcher={name}: {params}")
    return instantiate(params, _convert_="partial") if "_target_" in params else instantiate(
        {"_target_": target, **params})


def _launcher_config(name: str, hydra_context: HydraContext, config: DictConfig) -> DictConfig:
    """The `hydra.launcher` node `hydra/launcher=NAME` composes (benchit's conf/ first, then the plugins')."""
    from hydra.types import RunMode

    try:
        loaded = hydra_context.config_loader.load_configuration(
            config_name=config.hydra.job.config_name, overrides=[f"hydra/launcher={name}"], run_mode=RunMode.RUN)
    except Exception as error:
        raise ValueError(f"hydra.launcher.build.target={name}: no launcher config of that name ({error}); "
                         "install its extra (docs/studies.md)") from None
    node = OmegaConf.to_container(loaded.hydra.launcher, resolve=False)
    return OmegaConf.create(node)


def _basic() -> Launcher:
    from hydra._internal.core_plugins.basic_launcher import BasicLauncher

    return BasicLauncher()
