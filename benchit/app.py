"""The Hydra entry point: compose the config, run one job, remember whether it failed.

The CLI calls `hydra_main()` for both forms (Hydra overrides, and the tutorial's flags translated
into overrides), so there is exactly one code path for a run.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from pathlib import Path

import hydra
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from benchit.config import CONF_DIR, register_configs

register_configs()


def _add_plugin_dir() -> None:
    """Let Hydra find benchit's own plugins (hydra/launcher=two_phase): they live in benchit/_hydra_plugins.

    Hydra only loads plugin classes from the `hydra_plugins` namespace package, which exists only
    when some launcher plugin is installed; without one, benchit makes the namespace itself.
    """
    import types

    folder = str(Path(__file__).resolve().parent / "_hydra_plugins")
    try:
        import hydra_plugins
    except ImportError:
        hydra_plugins = types.ModuleType("hydra_plugins")
        hydra_plugins.__path__ = []
        sys.modules["hydra_plugins"] = hydra_plugins
    if folder not in list(hydra_plugins.__path__):
        hydra_plugins.__path__.append(folder)


_add_plugin_dir()
# A short id per process: two runs started in the same second get different output folders.
# Cached, like ${now:}: the value travels with the config into launcher workers (joblib, submitit), so every
# job of a sweep resolves the same sweep dir.
OmegaConf.register_new_resolver("run_id", lambda: RUN_ID, replace=True, use_cache=True)
RUN_ID = uuid.uuid4().hex[:6]

# Set by the task function; read by the CLI for the exit code (Hydra ignores return values).
FAILED_JOBS: list[str] = []
# Sweep dirs of the multiruns this process started (ExitStatusCallback): with a launcher that runs jobs in other
# processes (joblib, submitit, ray), FAILED_JOBS stays empty here, so the exit code comes from the jobs' results.json.
SWEEP_DIRS: list[Path] = []


class ExitStatusCallback(Callback):
    """Remembers where a multirun writes its jobs, so the parent can tell whether any job failed."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        SWEEP_DIRS.append(Path(str(config.hydra.sweep.dir)))


def failed_sweep_jobs(sweep_dir: Path) -> list[str]:
    """Jobs of a sweep whose results.json says failed (or has a script that did not finish cleanly)."""
    from benchit.cache.files import read_json

    failed = []
    for path in sorted(sweep_dir.glob("**/results.json")):
        try:
            results = read_json(path)
        except (OSError, ValueError):
            failed.append(str(path.parent))
            continue
        if results.get("status") == "failed" or any(s.get("status") != "ok" for s in results.get("scripts") or []):
            failed.append(str(path.parent))
    return failed


def to_plain(cfg: DictConfig) -> dict:
    """The composed config as plain data (enums as strings), ready for a child process."""
    return OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from benchit.runner import RunError, run_job

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        job = run_job(to_plain(cfg), output_dir)
    except (RunError, OSError) as error:
        # One clear line; in a multirun the other jobs still run. OSError: a full disk, a read-only cache.
        message = explain_os_error(error) if isinstance(error, OSError) else str(error)
        if isinstance(error, OSError) and cfg.get("verbose"):
            import traceback

            traceback.print_exc()
        print(f"benchit: error: {message}", file=sys.stderr)
        FAILED_JOBS.append(message)
        _write_failure(output_dir, message)
        return
    if job.failed:
        FAILED_JOBS.append(str(output_dir))


def _write_failure(output_dir: Path, message: str) -> None:
    from benchit.cache.files import write_json

    try:
        write_json(output_dir / "results.json", {"status": "failed", "error": message, "scripts": []})
    except OSError:
        pass


def run_hydra(argv: list[str]) -> int:
    """Run Hydra with `argv` as its command line; returns the process exit code."""
    full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us; we print one line unless asked for more
    saved = sys.argv
    sys.argv = ["benchit", *argv]
    FAILED_JOBS.clear()
    SWEEP_DIRS.clear()
    _add_plugin_dir()  # again: a change of sys.path since import recomputes the namespace's path
    try:
        hydra_main()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except KeyboardInterrupt:
        print("\nbenchit: interrupted; finished builds stay in the cache, the next run continues from them",
              file=sys.stderr)
        return 130
    except Exception as error:
        if full_error or "verbose=true" in argv:
            raise
        # A real I/O error has an errno; Hydra's MissingConfigException is an IOError without one.
        is_io = isinstance(error, OSError) and error.errno is not None
        text = explain_os_error(error) if is_io else explain_config_error(error)
        print(f"benchit: error: {text}", file=sys.stderr)
        return 2
    finally:
        sys.argv = saved
    for sweep_dir in SWEEP_DIRS:
        FAILED_JOBS.extend(failed_sweep_jobs(sweep_dir))
    return 1 if FAILED_JOBS else 0


def explain_os_error(error: OSError) -> str:
    """"Read-only file system: /cache/runs (the cache must be writable: ...)": what failed, where, what to do."""
    import errno

    where = f": {error.filename}" if error.filename else ""
    text = f"{error.strerror or error}{where}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{text} (the disk is full: free space, or put the cache elsewhere with cache.dir=DIR)"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{text} (the cache must be writable: pick another with cache.dir=DIR or --cache-dir DIR)"
    return text


# Launcher plugins are extras: name the one to install instead of Hydra's import error.
_LAUNCHER_EXTRAS = {"hydra_joblib_launcher": "joblib", "hydra_submitit_launcher": "slurm",
                    "hydra_ray_launcher": "ray"}


def explain_config_error(error: Exception) -> str:
    """Hydra/OmegaConf errors span several lines; keep the ones that say what is wrong."""
    text = f"{error} {error.__cause__}"
    for module, extra in _LAUNCHER_EXTRAS.items():
        launchers = {"joblib": ("joblib",), "slurm": ("submitit_local", "submitit_slurm"), "ray": ("ray",)}[extra]
        missing_class = f"hydra_plugins.{module}" in text and ("No module named" in text or "locating target" in text)
        missing_config = any(f"Could not find 'hydra/launcher/{name}" in text for name in launchers)
        if missing_class or missing_config:
            return f"this launcher needs {module}, which is not installed: pip install 'benchit[{extra}]'"
    message = str(error)
    unknown_key = _explain_unknown_key(text)
    if unknown_key:
        return unknown_key
    merging = _MERGING.match(message)
    if merging and error.__cause__ is not None:  # "Error merging override k=v" + why: say it once, on one line
        cause = str(error.__cause__).splitlines()[0].strip()
        return f"{merging.group(1)}: {cause} (see `benchit --help`)"
    if "Available options in" in message:  # Hydra's MissingConfigException: options one per line, then paths
        head, _, rest = message.partition("Available options in")
        options = [line.strip() for line in rest.split("Config search path:")[0].splitlines()[1:] if line.strip()]
        return f"{head.strip()} (available: {', '.join(options)})"
    parts = [message]
    if error.__cause__ is not None:
        parts.append(str(error.__cause__))
    lines = [line.strip() for part in parts for line in part.splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("full_key:", "object_type=", "reference_type="))]
    text = "; ".join(dict.fromkeys(keep))
    return text + " (see `benchit --help`)"


_COULD_NOT_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_KEY_NOT_IN = re.compile(r"Key '([^']+)' (?:is )?not in (?:'(\w+)'|struct)")
_MERGING = re.compile(r"Error merging override (\S+)")


def _explain_unknown_key(text: str) -> str | None:
    """`device.measurement.min_secs: no such key (did you mean min_seconds? ...)` for Hydra's three-part message.

    In a typed group (a dataclass schema) the key is misspelt: name the close one and the real ones. In a free
    mapping (`device.provider_options`) a new key needs Hydra's `+`."""
    override, missing = _COULD_NOT_OVERRIDE.search(text), _KEY_NOT_IN.search(text)
    if not override or not missing:
        return None
    import dataclasses
    import difflib

    from benchit import config

    key, schema = override.group(1), getattr(config, missing.group(2) or "", None)
    known = [f.name for f in dataclasses.fields(schema) if not f.name.startswith("_")] \
        if dataclasses.is_dataclass(schema) else []
    if not known:  # a free mapping: a new key needs Hydra's +
        return f"{key}: no such key; +{key}=VALUE adds it (e.g. a provider option)"
    # a typed group: a new key there would be ignored, so do not suggest adding one
    close = difflib.get_close_matches(missing.group(1), known, n=1)
    guess = f"did you mean {close[0]}? " if close else ""
    return f"{key}: no such key ({guess}keys there: {', '.join(known)})"
