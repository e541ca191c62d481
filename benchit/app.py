"""The Hydra entry point: compose the config, run one job, remember how it went.

The CLI calls `run_hydra()` for both forms (Hydra overrides, and the tutorial's flags translated into
overrides), so there is exactly one code path for a run. Exit codes (docs/troubleshooting.md): 0 all went
well, 1 the run happened and something failed, 2 a usage or config error stopped it before any work,
130 interrupted.
"""

from __future__ import annotations

import os
import sys
import warnings
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
# conf/hydra/launcher/{submitit_slurm,ray}.yaml replace the plugins' own configs of those names (same keys, benchit's
# launcher classes); Hydra still validates them against the plugins' schemas, which is what we want, and warns.
warnings.filterwarnings("ignore", message=r"\s*'hydra/launcher/(submitit_slurm|ray)' is validated against "
                                          r"ConfigStore schema with the same name")


class RunOutcome:
    """What the jobs this process ran said about themselves (Hydra ignores the task function's return)."""

    failed: list[str] = []  # jobs that ran and failed
    refused: list[str] = []  # jobs that could not start (bad input): exit 2 for a single run
    sweep_dirs: list[Path] = []  # multiruns started here: their jobs' results.json say how each went

    @classmethod
    def reset(cls) -> None:
        cls.failed, cls.refused, cls.sweep_dirs = [], [], []


def failed_sweep_jobs(sweep_dir: Path) -> list[str]:
    """Jobs of a sweep that failed: a results.json that says failed, interrupted or cancelled (or cannot be read),
    and, where a cluster launcher recorded its jobs (jobs.json), a job that never wrote its folder."""
    from benchit.cache.files import read_json
    from benchit.data import from_data
    from benchit.records import JobRecord, Status
    from benchit.report.sweep import missing_launched_jobs

    failed = []
    for path in sorted(sweep_dir.glob("**/results.json")):
        try:
            job = from_data(JobRecord, read_json(path))
        except (OSError, ValueError):
            failed.append(str(path.parent))
            continue
        if job.status is not Status.OK:
            failed.append(str(path.parent))
    return failed + [str(sweep_dir / name) for name in missing_launched_jobs(sweep_dir)]


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


def _shown_config(argv: list[str]) -> str | None:
    """What `--cfg`/`-c` asks Hydra to print (job, hydra, all), or None without it."""
    for n, arg in enumerate(argv):
        if arg.startswith("--cfg="):
            return arg.split("=", 1)[1]
        if arg in ("--cfg", "-c"):
            return argv[n + 1] if n + 1 < len(argv) else "job"
    return None


def run_hydra(argv: list[str]) -> int:
    """Run Hydra with `argv` as its command line; returns the process exit code."""
    from benchit.config.errors import explain_config_error
    from benchit.runner.cluster import LaunchError

    full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us; we print one line unless asked for more
    if _shown_config(argv) not in (None, "hydra") and "--resolve" not in argv:
        # show ${example:...} and benchit's other resolvers as the run sees them (not for `--cfg hydra`: Hydra
        # shows its node alone, where ${cache.dir} of the sweep dir cannot resolve)
        argv = [*argv, "--resolve"]
    saved = sys.argv
    sys.argv = ["benchit", *argv]
    RunOutcome.reset()
    _add_plugin_dir()  # again: a change of sys.path since import recomputes the namespace's path
    try:
        hydra_main()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_RUN_FAILED
    except LaunchError as error:  # the cluster refused the sweep (sbatch): already one line, naming the setting
        print(f"benchit: error: {error}", file=sys.stderr)
        return EXIT_USAGE
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
