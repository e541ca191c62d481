"""benchit from Python: the same configs, runner and pipeline as the CLI, results as objects.

    import benchit
    results = benchit.benchmark_script("examples/cli/scripts/two_models.py", device="x86")
    results = benchit.benchmark_model(model, (torch.rand(1, 10),), sequence="export_only")
    print(results)                        # one line per model invocation
    results.to_frame()                    # a pandas DataFrame, one row per model invocation

Configs are composed from the same conf/ with Hydra's compose API and the CLI's checks; keyword arguments
become overrides (`device="nvidia"` -> `device=nvidia`, `cache_dir=...` -> `cache.dir=...`), and any override
string can be passed in `overrides`. `benchmark_script` runs the CLI's job (the script in a child process with
a timeout); `benchmark_model` calls the model once under the same hooks and hands what they recorded to the
same pipeline, in this process. Errors raise `BenchitError` subclasses whose message is the line the CLI
prints. See docs/python-api.md.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any, Iterable

from benchit.config.groups import CONF_DIR
from benchit.config.overrides import hydra_value
from benchit.results import ModelResult, Results, results_frame
from benchit.results import model_results as _model_results

__all__ = ["BenchitError", "ConfigError", "ModelResult", "Results", "RunFailed", "benchmark_model",
           "benchmark_script", "build_model", "compose_config", "results_frame"]


class BenchitError(Exception):
    """Every error the Python API raises; `str(error)` is the line the CLI prints.

    `results` holds whatever the run did produce (empty when it could not start).
    """

    def __init__(self, message: str, results: Iterable[ModelResult] = ()):
        super().__init__(message)
        self.results = Results(results)


class ConfigError(BenchitError):
    """The run could not start: an unknown option, key or value, a missing script, an unavailable device."""


class RunFailed(BenchitError):
    """The run happened, but a script or a model's build or benchmark failed (`results` has every model)."""


def _to_overrides(options: dict[str, Any]) -> list[str]:
    """Keyword arguments -> Hydra overrides (benchit/overrides.py: the tutorial flags use it too)."""
    from benchit.config.overrides import UnknownOption, to_overrides

    if options.get("experiment") is not None:
        raise ConfigError("experiments are sweeps (several jobs): run them with `benchit +experiment=NAME`; "
                          "from Python, call benchmark_script once per combination")
    try:
        return to_overrides(options)
    except UnknownOption as error:
        raise ConfigError(str(error)) from None


def compose_config(overrides: Iterable[str] = (), config_dir: str | Path | None = None):
    """The config the CLI would run with these overrides (`benchit OVERRIDES --cfg job`): a BenchitConfig.

    `config_dir` is the CLI's `--config-dir`: a folder of your own configs (and stage modules).
    """
    return _compose(overrides, config_dir)[0]


def _compose(overrides: Iterable[str], config_dir: str | Path | None):
    """(the typed config, the run's output folder as `hydra.run.dir` names it)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf, open_dict

    from benchit.config.schema import register_configs, to_object
    from benchit.config.errors import explain_config_error
    from benchit.config.groups import check_group_options
    from benchit.config.overrides import without_default_script

    overrides, extra, argv = without_default_script([str(o) for o in overrides]), [], []
    if config_dir is not None:
        folder = Path(config_dir).expanduser().resolve()
        # What `--config-dir` does in the CLI: the folder's options join the groups, its modules the stage path.
        extra = [f"hydra.searchpath=[file://{folder}]"]
        overrides = [f"sequence.python_path=[{hydra_value(str(folder))}]", *overrides]
        argv = ["--config-dir", str(folder)]
    register_configs()  # the schema and benchit's resolvers, as a CLI run has them
    problem = check_group_options([*overrides, *argv])
    if problem:
        raise ConfigError(problem)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=[*overrides, *extra], return_hydra_config=True)
        output_dir = Path(str(cfg.hydra.run.dir))
        with open_dict(cfg):
            del cfg["hydra"]
        OmegaConf.resolve(cfg)
        return to_object(cfg), output_dir
    except Exception as error:
        raise ConfigError(explain_config_error(error)) from None
    finally:
        GlobalHydra.instance().clear()


def _failure_message(where: str, message: str, results: list[ModelResult]) -> str:
    """"two_models.py: 1 model build(s) or benchmark(s) failed; first: pytorch_model (479b1332): ..."."""
    failed = [r for r in results if r.status.is_failure]
    text = f"{where}: {message}" if where else message
    if failed:
        first = failed[0]
        text += f"; first: {first.name} ({first.hash}): {first.message}" if message else \
            f"{first.name} ({first.hash}): {first.message}"
    return text


class _Tee(io.StringIO):
    """Keeps what the runner prints (Results.tree) and, unless quiet, shows it too."""

    def __init__(self, echo):
        super().__init__()
        self.echo = echo

    def write(self, text: str) -> int:
        if self.echo is not None:
            self.echo.write(text)
        return super().write(text)

    def flush(self) -> None:
        if self.echo is not None:
            self.echo.flush()


def benchmark_script(script: str | Path | Iterable[str | Path] | None = None, *, overrides: Iterable[str] = (),
                     config_dir: str | Path | None = None, quiet: bool = True, raise_on_failure: bool = True,
                     **options: Any) -> Results:
    """Run a script as `benchit SCRIPT.py` does: analyze it, build and benchmark every model it calls.

    The script runs in a child process with the config's timeout (the CLI's runner). `script`: a path,
    several paths or globs, or None to run what the config names (`input="two_models"`, `search_dir="models"`).
    Keyword options: `device`, `sequence`, `cache`, `input` (config group options) and `cache_dir`,
    `lean_cache`, `rebuild`, `runtime`, `threads`, `script_args`, `hashes`, `search_dir`, `labels`,
    `max_depth`, `batch_size`, `mode`, `timeout`, `resume`, `verbose`, `strict`, `sequence_file`; `overrides`
    takes any other `key=value`. `quiet=False` prints the tree as the CLI does.

    Raises ConfigError if the run cannot start and, with `raise_on_failure` (default), RunFailed if a script
    or a model failed (its `results` hold every model); otherwise failed models come back with status "failed".
    """
    from benchit.errors import explain_os_error
    from benchit.runner.job import RunError, run_job

    run_overrides = []
    if isinstance(script, (str, Path)):
        run_overrides.append(f"input.script={hydra_value(str(Path(script).expanduser().resolve()))}")
    elif script is not None:
        paths = [str(s) if any(c in str(s) for c in "*?[") else str(Path(s).expanduser().resolve()) for s in script]
        run_overrides += ["input.script=null", f"input.scripts={hydra_value(paths)}"]
    elif options.get("search_dir") is not None:
        run_overrides.append("input.script=null")
    config, output_dir = _compose([*run_overrides, *_to_overrides(options), *overrides], config_dir)
    out = _Tee(None if quiet else sys.stdout)
    try:
        job = run_job(config, output_dir, out=out)
    except RunError as error:
        raise ConfigError(str(error)) from None
    except OSError as error:  # a full disk, a read-only cache: the CLI's line
        raise RunFailed(explain_os_error(error)) from error
    results = Results(r for record in job.scripts for r in _model_results(record))
    results.tree, results.output_dir = out.getvalue(), output_dir
    if raise_on_failure:
        for record in job.scripts:
            if record.status.is_failure:
                mine = [r for r in results if r.script == record.script]
                raise RunFailed(_failure_message(Path(record.script).name, record.message, mine), results)
    return results


def build_model(model: Any, inputs: Any, **options: Any) -> Results:
    """Build `model` on `inputs` without benchmarking it (`mode=build`, the CLI's --build-only)."""
    return benchmark_model(model, inputs, mode="build", _caller_depth=2, **options)


def benchmark_model(model: Any, inputs: Any, *, name: str | None = None, overrides: Iterable[str] = (),
                    config_dir: str | Path | None = None, raise_on_failure: bool = True,
                    _caller_depth: int = 1, **options: Any) -> Results:
    """Build and benchmark a PyTorch `nn.Module` or a Keras `Model` on `inputs`, in this process.

    `inputs`: a tuple of positional arguments, a dict of keyword arguments (for a Keras model, a dict or a
    list is its one input, as Keras takes several inputs), or a single tensor/array. The model is called once
    on them under the discovery hooks (that call is what is built and measured), then the pipeline builds
    and benchmarks it as it would a model found in a script. `name` names the model and its build folder
    (`<name>_<hash>`; default: the calling file's name, or the model's class in a notebook). Options and
    errors as in `benchmark_script` (no `timeout`: nothing runs in a child process).
    """
    from benchit.analysis.recorder import ModelRecorder
    from benchit.cache.layout import resolve_cache_dir
    from benchit.config.schema import Mode
    from benchit.errors import explain_os_error, one_line
    from benchit.pipeline import Pipeline
    from benchit.records import ScriptRecord, Status
    from benchit.runner.job import RunError, check_cache_dir, check_device

    caller = Path(sys._getframe(_caller_depth).f_code.co_filename)
    from_file = caller.suffix == ".py" and not caller.parent.name.startswith("ipykernel_")  # not a notebook cell
    stem = name or (caller.stem if from_file else type(model).__name__.lower())
    config, output_dir = _compose([*_to_overrides(options), *overrides], config_dir)
    try:
        if config.mode is Mode.benchmark:
            check_device(config)
        check_cache_dir(config)
    except RunError as error:
        raise ConfigError(str(error)) from None
    recorder = ModelRecorder(caller, max_depth=config.max_depth)
    recorder.start()
    try:
        keras_model = any(cls.__module__.split(".")[0] in ("keras", "tf_keras") for cls in type(model).__mro__)
        if isinstance(inputs, dict) and not keras_model:  # Keras takes a dict or a list as its one input
            model(**inputs)
        elif isinstance(inputs, tuple) or (isinstance(inputs, list) and not keras_model):
            model(*inputs)
        else:
            model(inputs)
    except Exception as error:
        raise RunFailed(f"the model raised: {one_line(error)}") from error
    finally:
        recorder.stop()
    top = [info for info in recorder.models if info.depth == 0]
    if not top:
        raise ConfigError(f"{type(model).__name__} is not a PyTorch nn.Module or a Keras Model "
                          "(benchit saw no model call; for a whole script use benchmark_script)")
    for info in top if name else ():
        info.name = name
    record = ScriptRecord(script=str(caller) if from_file else "")
    pipeline = Pipeline(config, resolve_cache_dir(config.cache.dir), source=stem, script=record.script, labels={},
                        log_dir=output_dir)
    record.models = pipeline.describe(recorder.models)
    targets, unmatched = pipeline.select()
    if unmatched:
        raise ConfigError(f"hash filter {','.join(unmatched)} matches no model; hashes found: "
                          f"{', '.join(pipeline.known_ids())}")
    try:
        if config.mode is not Mode.analyze and targets:
            pipeline.run(targets)
    except OSError as error:  # a full disk, a read-only cache: the CLI's line
        raise RunFailed(explain_os_error(error), _model_results(record)) from error
    record.phase, record.status = "done", Status.OK if not any(
        inv.status.is_failure for _, inv in record.invocations()) else Status.FAILED
    try:
        from benchit.cache.files import write_json
        from benchit.data import to_data

        write_json(output_dir / "result.json", to_data(record))  # the run's record, as a script run leaves it
    except OSError:
        pass
    results = Results(_model_results(record))
    results.output_dir = output_dir
    if raise_on_failure and results.failed:
        raise RunFailed(_failure_message("", "", results), results)
    return results
