"""`hydra/launcher=ray` (and `ray_cluster`): hydra-ray-launcher's local launcher, with what a benchit sweep needs.

conf/hydra/launcher/ray.yaml points Hydra here (same settings as the plugin's config); the jobs still run the
plugin's code on the Ray workers. What benchit adds on the submitting side:

- `ray.init.address` null means a private local Ray for this sweep (`address="local"`), so the documented local
  recipe works where a Ray cluster runs, or where a killed one left /tmp/ray/ray_current_cluster;
- with an address (`auto`, `HOST:PORT`, `ray://...`) it attaches, and passes none of num_cpus, num_gpus and
  object_store_memory (Ray refuses them when attaching; the plugin sets object_store_memory itself); where this
  machine has a Ray token (~/.ray/auth_token, which a local `ray.init` writes, or RAY_AUTH_TOKEN[_PATH]) and
  RAY_AUTH_MODE is not set, it attaches in token mode, as `ray start` does (a head started where the token is
  requires it; one without token authentication accepts it too);
- each job gets the submitter's cache folder (`cache.dir` resolved here, absolute): a Ray worker has the head's
  environment and working directory, so BENCHIT_CACHE_DIR or a relative cache.dir would otherwise point
  elsewhere (and the sweep would report 0 jobs);
- `<sweep>/jobs.json` lists the jobs handed to Ray, so summary.csv lists one that never wrote its folder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional, Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

LOCAL_ONLY = ("num_cpus", "num_gpus", "object_store_memory", "resources")  # what sizes a Ray started here


def ray_init_args(init: dict) -> dict:
    """`ray.init`'s arguments: a local Ray for address null, else attach without sizing the cluster."""
    init = dict(init or {})
    address = init.get("address")
    if address in (None, "", "local"):
        return {**init, "address": "local"}
    ignored = [key for key in LOCAL_ONLY if init.get(key) is not None]
    if ignored:
        log.info(f"Attaching to the Ray cluster at {address}: not passing {', '.join(ignored)} (the cluster's own)")
    args = {key: value for key, value in init.items() if key not in LOCAL_ONLY}
    args["object_store_memory"] = None  # keeps the plugin's own default (78 MB) from being passed
    return args


def use_token_if_available() -> bool:
    """RAY_AUTH_MODE=token for this process when it is unset and a Ray token exists here (Ray's own rule for
    `ray start`, which Ray does not apply to a client attaching)."""
    if os.environ.get("RAY_AUTH_MODE") is not None:
        return os.environ["RAY_AUTH_MODE"].lower() == "token"
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # a Ray without token authentication
        return False
    try:
        if not AuthenticationTokenLoader.instance().has_token(ignore_auth_mode=True):
            return False
        os.environ["RAY_AUTH_MODE"] = "token"
        Config.initialize("")  # Ray caches its config: let this process see the mode too
    except Exception as error:  # noqa: BLE001 - Ray's private API moved: attach as Ray would by itself
        log.debug(f"Ray token check failed: {error}")
        return False
    log.info("Attaching with Ray token authentication (RAY_AUTH_MODE=token: this machine has a Ray token)")
    return True


class BenchitRayLauncher(Launcher):
    def __init__(self, ray: Any = None) -> None:
        self.ray_cfg = ray
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.task_function: Optional[TaskFunction] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from benchit.runner.cluster import LaunchError, job_folder, pin_cache_dir, write_launched

        try:
            from hydra_plugins.hydra_ray_launcher import _core
        except ImportError as error:
            raise LaunchError(f"hydra/launcher=ray needs hydra-ray-launcher ({error}): pip install 'benchit[ray]', "
                              "in a venv of its own (docs/studies.md, Ray)") from None
        assert self.config is not None
        cfg = OmegaConf.to_container(self.ray_cfg, resolve=True) if OmegaConf.is_config(self.ray_cfg) \
            else dict(self.ray_cfg or {})
        ray_cfg = OmegaConf.create({"init": ray_init_args(cfg.get("init") or {}), "remote": cfg.get("remote") or {}})
        if ray_cfg.init.address != "local":
            use_token_if_available()
        cache_dir = str(self.config.cache.dir)
        pinned = [pin_cache_dir(list(o), cache_dir) for o in job_overrides]
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        subdir = OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir", "${hydra.job.num}")
        entries = [{"dir": job_folder(o, str(subdir), n), "num": n, "overrides": o, "id": "", "logs": [],
                    "status": "", "error": ""} for n, o in enumerate(pinned, initial_job_idx)]
        if all("/" not in e["dir"] for e in entries):
            write_launched(sweep_dir, "ray", entries)
        # The plugin's launch reads only these four attributes of its launcher.
        plugin_side = SimpleNamespace(ray_cfg=ray_cfg, config=self.config, hydra_context=self.hydra_context,
                                      task_function=self.task_function)
        return _core.launch(launcher=plugin_side, job_overrides=pinned, initial_job_idx=initial_job_idx)
