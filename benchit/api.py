"""benchit from Python: the same runner, worker and configs as the CLI, results as objects.

    import benchit
    results = benchit.benchmark_script("examples/cli/scripts/two_models.py", device="x86")
    results = benchit.benchmark_model(model, (torch.rand(1, 10),), sequence="export_only")
    print(results)                        # one line per model invocation
    results.to_frame()                    # a pandas DataFrame, one row per model invocation

Configs are composed from the same conf/ with Hydra's compose API; keyword arguments become
overrides (`device="nvidia"` -> `device=nvidia`, `cache_dir=...` -> `cache.dir=...`), and any
override string can be passed in `overrides`. `benchmark_script` runs the CLI's job (the runner:
the script in a child process with a timeout); `benchmark_model` calls the model once under the
same hooks and hands what they recorded to the same worker, in this process. Errors raise
`BenchitError` subclasses whose message is the line the CLI prints. See docs/python-api.md.
"""

from __future__ import annotations

import io
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from benchit.config import CONF_DIR
from benchit.overrides import hydra_value

__all__ = ["BenchitError", "ConfigError", "ModelResult", "Results", "RunFailed", "benchmark_model",
           "benchmark_script", "build_model", "compose_config", "results_frame"]


# ---------------------------------------------------------------------------------------------- errors
class BenchitError(Exception):
    """Every error the Python API raises; `str(error)` is the line the CLI prints.

    `results` holds whatever the run did produce (empty when it could not start).
    """

    def __init__(self, message: str, results: Iterable[ModelResult] = ()):
        super().__init__(message)
        self.results = Results(results)


class ConfigError(BenchitError):
    """The run could not start: an unknown option, key or value, a missing script, an unavailable device.

    The CLI prints the same message as `benchit: error: ...` and exits non-zero before any work.
    """


class RunFailed(BenchitError):
    """The run happened, but a script or a model's build or benchmark failed.

    `results` has every model (the failed ones with status "failed" and their status line in `message`).
    """


# ---------------------------------------------------------------------------------------------- results
@dataclass(repr=False)
class ModelResult:
    """One model invocation (one input signature): what was found, built and measured."""

    script: str
    name: str
    model_class: str
    model_type: str
    params: int
    hash: str
    depth: int
    invocation: int
    build_name: str
    inputs: dict
    calls: int
    status: str  # analyzed | built | benchmarked | failed
    message: str = ""
    from_cache: bool = False
    warnings: list = field(default_factory=list)
    validation: dict = field(default_factory=dict)  # stage -> {max_abs_error, max_rel_error, tolerance, ok}
    benchmark: dict = field(default_factory=dict)  # device, runtime, provider, mean_ms ... throughput_ips

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def mean_ms(self) -> float | None:
        return self.benchmark.get("mean_ms")

    @property
    def throughput(self) -> float | None:
        return self.benchmark.get("throughput_ips")

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data (nested dicts for inputs, validation and benchmark)."""
        return asdict(self)

    def to_row(self) -> dict[str, Any]:
        """A flat dict (one DataFrame row): nested benchmark and validation fields become columns."""
        row = {k: v for k, v in self.to_dict().items() if k not in ("benchmark", "validation", "inputs", "warnings")}
        row["inputs"] = str(self.inputs)
        row["warnings"] = "; ".join(self.warnings)
        for key, value in self.benchmark.items():
            if not isinstance(value, dict):
                row[key if key not in row else f"benchmark_{key}"] = value
        for stage, check in self.validation.items():
            row[f"{stage}_max_abs_error"] = check.get("max_abs_error")
        return row

    def to_series(self):
        """This result as a pandas Series (the row `Results.to_frame()` would hold)."""
        import pandas as pd

        return pd.Series(self.to_row(), name=self.build_name)

    def __str__(self) -> str:
        head = f"{self.name} ({self.model_class}, {self.hash}, invocation {self.invocation}): {self.status}"
        if self.status == "benchmarked" and self.mean_ms is not None:
            b = self.benchmark
            text = (f"{head} on {b.get('device_name')} [{b.get('device')}/{b.get('runtime')}]: "
                    f"mean {b['mean_ms']:.4g} ms, median {b['median_ms']:.4g} ms, p99 {b['p99_ms']:.4g} ms, "
                    f"{b['throughput_ips']:.1f} IPS")
            return text + (" (unstable)" if b.get("unstable") else "")
        return f"{head}{': ' + self.message if self.message else ''}"

    def __repr__(self) -> str:
        extra = f", mean_ms={self.mean_ms:.4g}" if self.mean_ms is not None else ""
        return (f"ModelResult(name={self.name!r}, hash={self.hash!r}, invocation={self.invocation}, "
                f"status={self.status!r}{extra})")


class Results(list):
    """The ModelResults of one call, in the order the tree prints them; a list with conversions.

    `tree` is the text the CLI would have printed (benchmark_script), `output_dir` the run's folder.
    """

    tree: str = ""
    output_dir: Path | None = None

    @property
    def failed(self) -> list[ModelResult]:
        return [r for r in self if r.status == "failed"]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self]

    def to_frame(self):
        """A pandas DataFrame, one row per model invocation (see ModelResult.to_row)."""
        return results_frame(self)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self) if self else "(no models)"


def results_frame(results: Iterable[ModelResult]):
    """The results as a pandas DataFrame, one row per model invocation."""
    import pandas as pd

    return pd.DataFrame([r.to_row() for r in results])


# ---------------------------------------------------------------------------------------------- config
def _to_overrides(options: dict[str, Any]) -> list[str]:
    """Keyword arguments -> Hydra overrides (benchit/overrides.py: the tutorial flags use it too).

    >>> _to_overrides({"device": "nvidia", "max_depth": 1})
    ['device=nvidia', 'max_depth=1']
    """
    from benchit.overrides import UnknownOption, to_overrides

    if options.get("experiment") is not None:
        raise ConfigError("experiments are sweeps (several jobs): run them with `benchit +experiment=NAME`; "
                          "from Python, call benchmark_script once per combination")
    try:
        return to_overrides(options)
    except UnknownOption as error:
        raise ConfigError(str(error)) from None


def compose_config(overrides: Iterable[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """The config the CLI would run with these overrides (`benchit OVERRIDES --cfg job`), as plain data.

    `config_dir` is the CLI's `--config-dir`: a folder of your own configs (and stage modules).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from benchit.app import explain_config_error, to_plain
    from benchit.cli import check_group_options

    overrides = [str(o) for o in overrides]
    extra: list[str] = []
    if config_dir is not None:
        folder = Path(config_dir).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"config dir not found: {config_dir}")
        # What `--config-dir` does in the CLI: the folder's options join the groups, its modules the stage path.
        extra = [f"hydra.searchpath=[file://{folder}]"]
        overrides = [f"sequence.python_path=[{hydra_value(str(folder))}]", *overrides]
    problem = check_group_options([*overrides, *(["--config-dir", str(folder)] if extra else [])])
    if problem:
        raise ConfigError(problem)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=[*overrides, *extra])
        return to_plain(cfg)
    except Exception as error:
        raise ConfigError(explain_config_error(error)) from None
    finally:
        GlobalHydra.instance().clear()


def _output_dir(config: dict[str, Any]) -> Path:
    from benchit.cache.layout import resolve_cache_dir

    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return resolve_cache_dir(config["cache"]["dir"]) / "runs" / f"{stamp}_{uuid.uuid4().hex[:6]}"


def _collect(script: str, result: dict[str, Any]) -> list[ModelResult]:
    """The worker's result for one script -> one ModelResult per model invocation, in tree order."""
    results = []
    for model in result.get("models", []):
        for inv in model["invocations"]:
            results.append(ModelResult(
                script=script, name=model["name"], model_class=model["class_name"],
                model_type=model["model_type"], params=model["params"], hash=model["hash"], depth=model["depth"],
                invocation=inv["index"], build_name=inv["build_name"], inputs=inv["inputs"], calls=inv["calls"],
                status=inv["status"] if inv.get("selected") else "analyzed", message=inv.get("message", ""),
                from_cache=bool(inv.get("from_cache")), warnings=list(inv.get("warnings") or []),
                validation=dict(inv.get("validation") or {}), benchmark=dict(inv.get("benchmark") or {}),
            ))
    return results


def _failure_message(where: str, message: str, results: list[ModelResult]) -> str:
    """"two_models.py: 1 model build(s) or benchmark(s) failed; first: pytorch_model (479b1332): ..."."""
    failed = [r for r in results if r.status == "failed"]
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


# ---------------------------------------------------------------------------------------------- entry points
def benchmark_script(script: str | Path | Iterable[str | Path] | None = None, *, overrides: Iterable[str] = (),
                     config_dir: str | Path | None = None, quiet: bool = True, raise_on_failure: bool = True,
                     **options: Any) -> Results:
    """Run a script as `benchit SCRIPT.py` does: analyze it, build and benchmark every model it calls.

    The script runs in a child process with the config's timeout (the CLI's runner). `script`: a path,
    several paths or globs, or None to run what the config names (`input="two_models"`,
    `search_dir="models"`). Keyword options: `device`, `sequence`, `cache`, `input` (config group
    options) and `cache_dir`, `lean_cache`, `rebuild`, `runtime`, `threads`, `script_args`, `hashes`,
    `search_dir`, `labels`, `max_depth`, `mode`, `timeout`, `resume`, `verbose`, `strict`,
    `sequence_file`;
    `overrides` takes any other `key=value`. `quiet=False` prints the tree as the CLI does.

    Raises ConfigError if the run cannot start and, with `raise_on_failure` (default), RunFailed if a
    script or a model failed (its `results` hold every model); otherwise failed models come back
    with status "failed".
    """
    from benchit.runner import RunError, run_job

    run_overrides = []
    if isinstance(script, (str, Path)):
        run_overrides.append(f"input.script={hydra_value(str(Path(script).expanduser().resolve()))}")
    elif script is not None:
        paths = [str(s) if any(c in str(s) for c in "*?[") else str(Path(s).expanduser().resolve()) for s in script]
        run_overrides += ["input.script=null", f"input.scripts={hydra_value(paths)}"]
    elif options.get("search_dir") is not None:
        run_overrides.append("input.script=null")
    config = compose_config([*run_overrides, *_to_overrides(options), *overrides], config_dir)
    out = _Tee(None if quiet else sys.stdout)
    try:
        job = run_job(config, _output_dir(config), out=out)
    except RunError as error:
        raise ConfigError(str(error)) from None
    except OSError as error:  # a full disk, a read-only cache: the CLI's line
        from benchit.app import explain_os_error

        raise RunFailed(explain_os_error(error)) from error
    results = Results()
    for run in job.scripts:
        results.extend(_collect(str(run.script), run.result))
    results.tree, results.output_dir = out.getvalue(), job.output_dir
    if raise_on_failure:
        for run in job.scripts:
            if run.status != "ok":
                mine = [r for r in results if r.script == str(run.script)]
                raise RunFailed(_failure_message(run.script.name, run.message, mine), results)
    return results


def build_model(model: Any, inputs: Any, **options: Any) -> Results:
    """Build `model` on `inputs` without benchmarking it (`mode=build`, the CLI's --build-only)."""
    return benchmark_model(model, inputs, mode="build", _caller_depth=2, **options)


def benchmark_model(model: Any, inputs: Any, *, name: str | None = None, overrides: Iterable[str] = (),
                    config_dir: str | Path | None = None, raise_on_failure: bool = True,
                    _caller_depth: int = 1, **options: Any) -> Results:
    """Build and benchmark a PyTorch `nn.Module` or a Keras `Model` on `inputs`, in this process.

    `inputs`: a tuple of positional arguments, a dict of keyword arguments (for a Keras model, a
    dict or a list is its one input, as Keras takes several inputs), or a single tensor/array. The model is called once on them under the
    discovery hooks (that call is what is built and measured), then the worker builds and benchmarks
    it as it would a model found in a script. `name` names the model and its build folder
    (`<name>_<hash>`; default: the model's variable name and the calling file's name). Options and
    errors as in `benchmark_script` (no `timeout`: nothing runs in a child process).
    """
    from benchit.analysis import ModelRecorder
    from benchit.cache.layout import resolve_cache_dir
    from benchit.worker import Worker

    caller = Path(sys._getframe(_caller_depth).f_code.co_filename)
    from_file = caller.suffix == ".py" and not caller.parent.name.startswith("ipykernel_")  # not a notebook cell
    stem = name or (caller.stem if from_file else type(model).__name__.lower())
    config = compose_config([*_to_overrides(options), *overrides], config_dir)
    if config["mode"] == "benchmark":
        from benchit.runner import RunError, check_device

        try:
            check_device(config["device"])
        except RunError as error:
            raise ConfigError(str(error)) from None
    output_dir = _output_dir(config)
    script = str(caller.with_name(f"{stem}.py"))
    job = {"script": script, "config": config, "cache_dir": str(resolve_cache_dir(config["cache"]["dir"])),
           "result_path": str(output_dir / "result.json")}
    recorder = ModelRecorder(caller, max_depth=int(config["max_depth"]))
    recorder.start()
    try:
        keras_model = _is_keras(model)  # Keras takes a dict or a list as one input (several named/ordered inputs)
        if isinstance(inputs, dict) and not keras_model:
            model(**inputs)
        elif isinstance(inputs, tuple) or (isinstance(inputs, list) and not keras_model):
            model(*inputs)
        else:
            model(inputs)
    except Exception as error:
        raise RunFailed(f"the model raised: {type(error).__name__}: {error}".splitlines()[0]) from error
    finally:
        recorder.stop()
    top = [info for info in recorder.models if info.depth == 0]
    if not top:
        raise ConfigError(f"{type(model).__name__} is not a PyTorch nn.Module or a Keras Model "
                          "(benchit saw no model call; for a whole script use benchmark_script)")
    if name:
        for info in top:
            info.name = name
    worker = Worker(job)
    worker.adopt(recorder.models)
    targets = worker.select()
    if targets is None:
        raise ConfigError(worker.result.get("error", "nothing selected"))
    try:
        if config["mode"] != "analyze" and targets:
            worker.build_and_benchmark(targets)
        worker.result["phase"] = "done"
        worker.save()
    except OSError as error:  # a full disk, a read-only cache: the CLI's line
        from benchit.app import explain_os_error

        raise RunFailed(explain_os_error(error), _collect(script, worker.result)) from error
    results = Results(_collect(script, worker.result))
    results.output_dir = output_dir
    if raise_on_failure and results.failed:
        raise RunFailed(_failure_message("", "", results), results)
    return results


def _is_keras(model: Any) -> bool:
    return any(cls.__module__.split(".")[0] in ("keras", "tf_keras") for cls in type(model).__mro__)
