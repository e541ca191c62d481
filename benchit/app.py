"""The Hydra entry point: compose the config, run one job, remember how it went.

The CLI calls `run_hydra()` for both forms (Hydra overrides, and the tutorial's flags translated into
overrides), so there is exactly one code path for a run. Exit codes (docs/troubleshooting.md): 0 all went
well, 1 the run happened and something failed, 2 a usage or config error stopped it before any work,
130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from benchit.config.schema import register_configs
from benchit.config.groups import CONF_DIR
from benchit.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, explain_os_error

register_configs()


def _add_plugin_dir() -> None:
    """Let Hydra find benchit's own plugins (hydra/launcher=two_phase): they live in benchit/_hydra_plugins.

    Hydra only loads plugin classes from the `hydra_plugins` namespace package, which exists only when some
    launcher plugin is installed; without one, benchit makes the namespace itself.
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


class RunOutcome:
    """What the jobs this process ran said about themselves (Hydra ignores the task function's return)."""

    failed: list[str] = []  # jobs that ran and failed
    refused: list[str] = []  # jobs that could not start (bad input): exit 2 for a single run
    sweep_dirs: list[Path] = []  # multiruns started here: their jobs' results.json say how each went

    @classmethod
    def reset(cls) -> None:
        cls.failed, cls.refused, cls.sweep_dirs = [], [], []


def failed_sweep_jobs(sweep_dir: Path) -> list[str]:
    """Jobs of a sweep whose results.json says failed or interrupted (or that left an unreadable one)."""
    from benchit.cache.files import read_json
    from benchit.data import from_data
    from benchit.records import JobRecord, Status

    failed = []
    for path in sorted(sweep_dir.glob("**/results.json")):
        try:
            job = from_data(JobRecord, read_json(path))
        except (OSError, ValueError):
            failed.append(str(path.parent))
            continue
        if job.status is not Status.OK:
            failed.append(str(path.parent))
    return failed


@hydra.main(version_base=None, config_path=str(CONF_DIR), config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from benchit.config.schema import to_object
    from benchit.runner.job import RunError, run_job

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    config = to_object(cfg)
    try:
        job = run_job(config, output_dir)
    except (RunError, OSError) as error:
        # One clear line; in a multirun the other jobs still run. OSError: a full disk, a read-only cache.
        message = explain_os_error(error) if isinstance(error, OSError) else str(error)
        if isinstance(error, OSError) and config.verbose:
            import traceback

            traceback.print_exc()
        print(f"benchit: error: {message}", file=sys.stderr)
        (RunOutcome.refused if isinstance(error, RunError) else RunOutcome.failed).append(message)
        _write_failure(output_dir, message)
        return
    if job.status.is_failure:
        RunOutcome.failed.append(str(output_dir))


def _write_failure(output_dir: Path, message: str) -> None:
    from benchit.cache.files import write_json
    from benchit.data import to_data
    from benchit.records import JobRecord, Status

    try:
        write_json(output_dir / "results.json", to_data(JobRecord(status=Status.FAILED, error=message)))
    except OSError:
        pass


def run_hydra(argv: list[str]) -> int:
    """Run Hydra with `argv` as its command line; returns the process exit code."""
    from benchit.config.errors import explain_config_error

    full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us; we print one line unless asked for more
    if any(a in ("--cfg", "-c") or a.startswith("--cfg=") for a in argv) and "--resolve" not in argv:
        argv = [*argv, "--resolve"]  # show ${example:...} and benchit's other resolvers as the run sees them
    saved = sys.argv
    sys.argv = ["benchit", *argv]
    RunOutcome.reset()
    _add_plugin_dir()  # again: a change of sys.path since import recomputes the namespace's path
    try:
        hydra_main()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_RUN_FAILED
    except KeyboardInterrupt:
        print("\nbenchit: interrupted; finished builds stay in the cache, the next run continues from them",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if full_error or "verbose=true" in argv:
            raise
        # A real I/O error has an errno; Hydra's MissingConfigException is an IOError without one.
        is_io = isinstance(error, OSError) and error.errno is not None
        text = explain_os_error(error) if is_io else explain_config_error(error)
        print(f"benchit: error: {text}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        sys.argv = saved
    for sweep_dir in RunOutcome.sweep_dirs:
        RunOutcome.failed.extend(failed_sweep_jobs(sweep_dir))
    if RunOutcome.refused and not RunOutcome.sweep_dirs and not RunOutcome.failed:
        return EXIT_USAGE
    return EXIT_RUN_FAILED if RunOutcome.failed or RunOutcome.refused else EXIT_OK
