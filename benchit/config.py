"""Typed schemas for benchit's Hydra configuration, and where the shipped configs live.

The root schema types every config group, so `input.scrpt=x` or `mode=fast` is an error that
names the key or the allowed values, before any work starts. Stage and device objects are
created from their `_target_` by the runner (hydra.utils.instantiate).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_dir(name: str) -> Path:
    """conf/ and examples/ are top-level in the repository and mapped into the package in a wheel."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


CONF_DIR = _shipped_dir("conf")
EXAMPLES_DIR = _shipped_dir("examples")
# Config groups that a user selects with `group=option`.
GROUPS = ("input", "device", "sequence", "cache", "experiment")


class Mode(Enum):
    analyze = "analyze"  # discover models only (tutorial: --analyze-only)
    build = "build"  # discover and build (tutorial: --build-only)
    benchmark = "benchmark"  # discover, build and benchmark (default)


class Rebuild(Enum):
    if_needed = "if_needed"  # reuse a successful build with the same model, inputs, sequence and version
    always = "always"
    never = "never"  # reuse whatever is there; fail if nothing is


@dataclass
class InputConfig:
    script: Optional[str] = None  # one script
    scripts: List[str] = field(default_factory=list)  # several scripts or globs
    search_dir: Optional[str] = None  # every *.py in this folder (tutorial: --all -s DIR)
    hashes: List[str] = field(default_factory=list)  # build/benchmark only these models (script.py::HASH)
    script_args: str = ""  # sys.argv[1:] for the script
    labels: List[str] = field(default_factory=list)  # keep only scripts whose labels match (key::value)


@dataclass
class MeasurementConfig:
    warmup_iterations: int = 10
    warmup_seconds: float = 0.05
    min_iterations: int = 100
    min_seconds: float = 0.5
    max_seconds: float = 10.0
    cv_warning: float = 0.10  # coefficient of variation above which the result is flagged unstable
    exclusive: bool = True  # no other benchit process on this machine builds or measures meanwhile


@dataclass
class DeviceConfig:
    _target_: str = "benchit.devices.x86.X86Device"
    name: str = "x86"
    runtime: str = "ort"
    threads: Optional[int] = None
    provider_options: Dict[str, Any] = field(default_factory=dict)
    measurement: MeasurementConfig = field(default_factory=MeasurementConfig)


@dataclass
class SequenceConfig:
    name: str = "default"
    stages: List[Any] = field(default_factory=list)  # each a dict with `_target_` and the stage's parameters
    file: Optional[str] = None  # a Python file whose get_sequence() replaces `stages` (tutorial: --sequence-file)
    # Folders from which user stage modules (`_target_: my_stages.MyStage`) are imported; by default
    # every --config-dir, so a stage module can sit beside the YAML that names it.
    python_path: List[str] = field(default_factory=lambda: ["${benchit_config_dirs:}"])


@dataclass
class CacheConfig:
    dir: str = "${oc.env:BENCHIT_CACHE_DIR,'~/.cache/benchit'}"
    lean: bool = False  # delete heavy artifacts (ONNX, inputs) after benchmarking
    rebuild: Rebuild = Rebuild.if_needed


@dataclass
class BuildConfig:
    strict: bool = False  # a stage whose outputs differ from the framework's beyond its tolerance fails the build


@dataclass
class BenchitConfig:
    input: InputConfig = field(default_factory=InputConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    sequence: SequenceConfig = field(default_factory=SequenceConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    mode: Mode = Mode.benchmark
    max_depth: int = 0  # also discover/build/benchmark sub-modules down to this depth
    timeout: float = 600.0  # seconds one script (analysis + builds + benchmarks) may take
    verbose: bool = False  # full tracebacks on the console
    resume: bool = False  # skip scripts already done with the same config (tutorial form: --resume)


_registered = False


def register_configs() -> None:
    """Register the schema and resolvers once per process (Hydra app, compose API, worker)."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    ConfigStore.instance().store(name="benchit_schema", node=BenchitConfig)
    # ${example:cli/scripts/hello_world.py} -> the shipped example's absolute path
    OmegaConf.register_new_resolver("example", lambda rel: str(EXAMPLES_DIR / rel), replace=True)
    # ${expanduser:${cache.dir}}: Hydra makes output dirs as written, so '~' would become a folder named '~'.
    OmegaConf.register_new_resolver("expanduser", lambda path: os.path.expanduser(str(path)), replace=True)
    OmegaConf.register_new_resolver("benchit_config_dirs", _config_dirs, replace=True)
    _registered = True


def _config_dirs() -> str:
    """The --config-dir folders of the running Hydra app, joined with os.pathsep ('' outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        sources = HydraConfig.get().runtime.config_sources
    except Exception:
        return ""
    return os.pathsep.join(s.path for s in sources if s.provider == "command-line" and s.schema == "file")


def group_options(group: str, extra_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The options of a config group (YAML files in conf/<group>/ and in any --config-dir)."""
    names = set()
    for base in (CONF_DIR, *extra_dirs):
        folder = Path(base) / group
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)
