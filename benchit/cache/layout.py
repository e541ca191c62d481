"""Where things live in the cache, and the `cache` config group.

    <cache>/<model>/                        one folder per model invocation: `<script stem>_<model hash>[_<n>]`
    <cache>/<model>/<config>/               one folder per build config: `<sequence>-<key>` (`framework-<key>`
                                            for runtimes that time the script's own model)
    <cache>/<model>/<config>/state.yaml     what was asked, status, stage timings, artifacts, versions (BuildState)
    <cache>/<model>/<config>/stats.yaml     benchmarks keyed by device/runtime (BuildStats)
    <cache>/<model>/<config>/log_<stage>.txt    what each stage printed (and its traceback if it failed)
    <cache>/<model>/<config>/onnx/          the model files each stage wrote
    <cache>/<model>/<config>/inputs.npz     the inputs the script really used (numpy, never pickle)
    <cache>/.locks/                         one lock file per build config (never inside a folder that is deleted)
    <cache>/.index.sqlite                   the report's index of the states (cache/index.py), rebuilt when stale
    <cache>/runs/, <cache>/sweeps/          one folder per `benchit` run / multirun (Hydra's output dirs)

A build config is what built the file (the sequence's stages and their parameters, the batch size, the
exporter's versions), so every sequence of a sweep keeps its own build side by side (docs/cache-and-reports.md).
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CACHE_DIR = "~/.cache/benchit"
STATE_FILE = "state.yaml"
STATS_FILE = "stats.yaml"
LEGACY_STATE_SUFFIX = "_state.yaml"  # state_version 1: one folder per model, <model>/<model>_state.yaml
# The state layout this benchit writes; a build written by a newer benchit is reported, not guessed at.
STATE_VERSION = 2
# Folders in the cache that are not builds.
RESERVED_NAMES = {"runs", "sweeps", "labels", "reports", ".locks"}
# Longest build name a command accepts (file systems allow 255 bytes; a config folder is added below it).
MAX_BUILD_NAME = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")


class Rebuild(enum.Enum):
    if_needed = "if_needed"  # reuse a successful build of the same build config whose files are intact
    always = "always"
    never = "never"  # reuse whatever is there; fail if nothing is


@dataclass
class CacheConfig:
    dir: str = "${oc.env:BENCHIT_CACHE_DIR,'~/.cache/benchit'}"
    lean: bool = False  # delete heavy artifacts (ONNX, inputs) after benchmarking
    rebuild: Rebuild = Rebuild.if_needed


def resolve_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache folder: an explicit value, else $BENCHIT_CACHE_DIR, else ~/.cache/benchit."""
    value = cache_dir or os.environ.get("BENCHIT_CACHE_DIR") or DEFAULT_CACHE_DIR
    return Path(os.path.expandvars(str(value))).expanduser().absolute()


def is_valid_name(name: str) -> bool:
    """A plain folder name: no separators, no '..', nothing hidden, not a reserved folder."""
    return bool(_NAME.match(name)) and ".." not in name and name not in RESERVED_NAMES


def safe_name(name: str, limit: int = 120) -> str:
    """Turn any text (a script stem with spaces or unicode) into a valid name fragment."""
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("._-") or "script"
    return cleaned[:limit]


@dataclass(frozen=True)
class Build:
    """One build config of one model in a cache: `<cache>/<name>/<config_id>/`."""

    cache_dir: Path
    name: str  # the model's folder
    config_id: str

    @property
    def id(self) -> str:
        """How commands name it: `hello_world_479b1332/default-3fa2c1d0`."""
        return f"{self.name}/{self.config_id}"

    @property
    def model_dir(self) -> Path:
        return self.cache_dir / self.name

    @property
    def dir(self) -> Path:
        return self.cache_dir / self.name / self.config_id

    @property
    def state_path(self) -> Path:
        return self.dir / STATE_FILE

    @property
    def stats_path(self) -> Path:
        return self.dir / STATS_FILE

    @property
    def onnx_dir(self) -> Path:
        return self.dir / "onnx"

    @property
    def inputs_path(self) -> Path:
        return self.dir / "inputs.npz"

    def log_path(self, stage_name: str) -> Path:
        return self.dir / f"log_{stage_name}.txt"

    @property
    def lock_path(self) -> Path:
        return self.cache_dir / ".locks" / f"{self.name}@{self.config_id}.lock"

    def exists(self) -> bool:
        return self.state_path.is_file()

    def load_state(self):
        """The typed state (records.BuildState); ValueError saying why when it is not one benchit can read."""
        from benchit.records import BuildState

        data = read_data(self.state_path)
        check_state_data(data, self.state_path.name)
        return _typed(BuildState, data, self.state_path.name)

    def load_stats(self):
        """The typed stats (records.BuildStats): empty when there are none yet."""
        from benchit.records import BuildStats

        if not self.stats_path.is_file():
            return BuildStats()
        data = read_data(self.stats_path)
        if not isinstance(data, dict):
            raise ValueError(f"{self.stats_path.name} is not a benchit stats file")
        return _typed(BuildStats, data, self.stats_path.name)


def _typed(kind: type, data, file_name: str):
    """A record read from a cache file: ValueError naming the file when a field is not what the record says."""
    from benchit.data import RecordError, from_data

    try:
        return from_data(kind, data)
    except RecordError as error:
        raise ValueError(f"{file_name}: {error}") from None


def read_data(path: Path):
    """A cache file's YAML (safe loader only); ValueError with its first line when it is not valid YAML."""
    import yaml

    from benchit.cache.files import read_yaml

    try:
        return read_yaml(path)
    except yaml.YAMLError as error:  # malformed, or a tag that would construct a Python object
        lines = str(error).strip().splitlines()
        raise ValueError(f"{path.name} is not valid YAML ({lines[0] if lines else type(error).__name__})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not valid YAML (not text)") from None


def check_state_data(data, file_name: str) -> None:
    """Raise ValueError saying why `data` is not a state this benchit reads (a newer or older layout)."""
    if not isinstance(data, dict):
        raise ValueError(f"{file_name} is not a benchit state file")
    version = data.get("state_version", 1)
    if not isinstance(version, int) or version > STATE_VERSION:
        raise ValueError(f"written by a newer benchit (state_version {version}, this benchit reads "
                         f"{STATE_VERSION}); upgrade benchit to read it")


def config_ids(model_dir: Path) -> list[str]:
    """The build configs inside a model's folder (subfolders holding a state file), newest state first."""
    found = []
    try:
        with os.scandir(model_dir) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                    try:
                        found.append((os.stat(os.path.join(entry.path, STATE_FILE)).st_mtime_ns, entry.name))
                    except OSError:
                        continue
    except OSError:
        return []
    return [name for _, name in sorted(found, reverse=True)]


def has_legacy_state(model_dir: Path) -> bool:
    """A folder written by benchit before build configs (state_version 1: its state at the top)."""
    return (model_dir / f"{model_dir.name}{LEGACY_STATE_SUFFIX}").is_file()


def list_models(cache_dir: Path) -> list[str]:
    """Names of the model folders in a cache that hold a build (or an older benchit's), sorted."""
    if not cache_dir.is_dir():
        return []
    names = []
    with os.scandir(cache_dir) as entries:
        for entry in entries:
            if entry.name in RESERVED_NAMES or entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            if _holds_build(entry.path, entry.name):
                names.append(entry.name)
    return sorted(names)


def _holds_build(model_dir: str, model: str) -> bool:
    """Whether a model folder holds a build config with a state file, or an older benchit's state: one listing,
    stopped at the first (cache list answers at once on 100,000 builds)."""
    legacy = f"{model}{LEGACY_STATE_SUFFIX}"
    try:
        with os.scandir(model_dir) as entries:
            for entry in entries:
                if entry.name == legacy or (entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
                                            and os.path.isfile(f"{entry.path}/{STATE_FILE}")):
                    return True
    except OSError:
        pass
    return False
