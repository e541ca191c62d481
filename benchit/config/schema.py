"""The root of benchit's typed configuration; each group's dataclass lives beside the code it configures.

    input     analysis/inputs.py   InputConfig       which scripts, hashes, labels
    device    devices/base.py      DeviceConfig      _target_, runtime, threads, measurement (devices/measure.py)
    sequence  build/sequence.py    SequenceConfig    stages (build/stages.py: one schema per stage), or a file
    cache     cache/layout.py      CacheConfig       dir, lean, rebuild
    build     build/sequence.py    BuildConfig       strict

The schema types every key, so `input.scrpt=x` or `mode=fast` is an error that names the key or the allowed
values before any work starts. The runner and the worker receive a `BenchitConfig` object
(`OmegaConf.to_object`); the worker gets it through JSON (`to_data` / `from_data`).
"""

from __future__ import annotations

import enum
import os
import uuid
from dataclasses import dataclass, field
from typing import Optional

from benchit.analysis.inputs import InputConfig
from benchit.build.sequence import BuildConfig, SequenceConfig
from benchit.cache.layout import CacheConfig
from benchit.config.groups import EXAMPLES_DIR
from benchit.devices.base import DeviceConfig


class Mode(enum.Enum):
    analyze = "analyze"  # discover models only (tutorial: --analyze-only)
    build = "build"  # discover and build (tutorial: --build-only)
    benchmark = "benchmark"  # discover, build and benchmark (default)


@dataclass
class BenchitConfig:
    input: InputConfig = field(default_factory=InputConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    sequence: SequenceConfig = field(default_factory=SequenceConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    mode: Mode = Mode.benchmark
    max_depth: int = 0  # also discover/build/benchmark sub-modules down to this depth
    batch_size: Optional[int] = None  # re-batch every model's inputs to this many samples (a build config each)
    timeout: float = 600.0  # seconds one script (analysis + builds + benchmarks) may take
    verbose: bool = False  # full tracebacks on the console
    resume: bool = False  # skip scripts already done with the same config (tutorial form: --resume)


_registered = False


def register_configs() -> None:
    """Register the schemas and resolvers once per process (the Hydra app and the Python API)."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    from benchit.build.stages import register_stage_configs

    store = ConfigStore.instance()
    store.store(name="benchit_schema", node=BenchitConfig)
    register_stage_configs(store)
    # ${example:cli/scripts/hello_world.py} -> the shipped example's absolute path
    OmegaConf.register_new_resolver("example", lambda rel: str(EXAMPLES_DIR / rel), replace=True)
    # ${expanduser:${cache.dir}}: Hydra makes output dirs as written, so '~' would become a folder named '~'.
    OmegaConf.register_new_resolver("expanduser", lambda path: os.path.expanduser(str(path)), replace=True)
    OmegaConf.register_new_resolver("benchit_config_dirs", _config_dirs, replace=True)
    # A short id per process: two runs started in the same second get different output folders. Cached, like
    # ${now:}: the value travels with the config into launcher workers (joblib, submitit), so every job of a
    # sweep resolves the same sweep dir.
    OmegaConf.register_new_resolver("run_id", lambda: RUN_ID, replace=True, use_cache=True)
    _registered = True


RUN_ID = uuid.uuid4().hex[:6]


def _config_dirs() -> str:
    """The --config-dir folders of the running Hydra app, joined with os.pathsep ('' outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        sources = HydraConfig.get().runtime.config_sources
    except Exception:
        return ""
    return os.pathsep.join(s.path for s in sources if s.provider == "command-line" and s.schema == "file")


def schema_classes() -> dict[str, type]:
    """Every dataclass of the schema by name (an error names the one a misspelt key is missing from)."""
    import dataclasses
    import typing

    from benchit.build.stages import STAGE_SCHEMAS

    found: dict[str, type] = {}
    todo = [BenchitConfig, *STAGE_SCHEMAS.values()]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        for kind in typing.get_type_hints(cls).values():
            if dataclasses.is_dataclass(kind) and kind.__name__ not in found:
                todo.append(kind)
    return found


def to_object(cfg) -> BenchitConfig:
    """The composed DictConfig as the typed BenchitConfig (interpolations resolved)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_object(cfg)


def load_config(data: dict) -> BenchitConfig:
    """A BenchitConfig back from `to_data` (the worker's task file, results.json)."""
    from benchit.data import from_data

    return from_data(BenchitConfig, data)
