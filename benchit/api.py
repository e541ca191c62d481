"""benchit from Python: the same runner and configs as the CLI, results as objects.

    import benchit
    results = benchit.benchmark_script("examples/cli/scripts/two_models.py", device="x86")
    results = benchit.benchmark_model(model, (torch.rand(1, 10),), sequence="export_only")
    benchit.results_frame(results)        # a pandas DataFrame, one row per model invocation

Configs are composed from the same conf/ with Hydra's compose API; keyword arguments become
overrides (`device="nvidia"` -> `device=nvidia`, `cache_dir=...` -> `cache.dir=...`), and any
override string can be passed in `overrides`.
"""

from __future__ import annotations

import inspect
import io
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from benchit.config import CONF_DIR, GROUPS


class BenchitError(Exception):
    """A run that could not start or a model that could not be built/benchmarked: the CLI's message."""


@dataclass
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
    validation: dict = field(default_factory=dict)
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

    def __str__(self) -> str:
        head = f"{self.name} ({self.model_class}, {self.hash}, invocation {self.invocation}): {self.status}"
        if self.status == "benchmarked":
            b = self.benchmark
            return (f"{head} on {b.get('device_name')} [{b.get('runtime')}]: mean {b['mean_ms']:.4g} ms, "
                    f"median {b['median_ms']:.4g} ms, p99 {b['p99_ms']:.4g} ms, {b['throughput_ips']:.1f} IPS")
        return f"{head}{': ' + self.message if self.message else ''}"


def results_frame(results: Iterable[ModelResult]):
    """The results as a pandas DataFrame, one row per model invocation."""
    import pandas as pd

    return pd.DataFrame([r.to_row() for r in results])


# ---------------------------------------------------------------------------------------------- config
_KEYWORDS = {
    "cache_dir": "cache.dir",
    "lean_cache": "cache.lean",
    "rebuild": "cache.rebuild",
    "runtime": "device.runtime",
    "script_args": "input.script_args",
    "hashes": "input.hashes",
    "max_depth": "max_depth",
    "mode": "mode",
    "timeout": "timeout",
    "sequence_file": "sequence.file",
}


def _value(value: Any) -> str:
    from benchit.cli import hydra_quote

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_value(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return str(value)
    return hydra_quote(str(value))


def to_overrides(options: dict[str, Any]) -> list[str]:
    """Keyword arguments -> Hydra overrides: groups by option name, everything else by key."""
    overrides = []
    for key, value in options.items():
        if value is None:
            continue
        if key in GROUPS:
            overrides.append(f"{'+' if key == 'experiment' else ''}{key}={value}")
        elif key in _KEYWORDS:
            overrides.append(f"{_KEYWORDS[key]}={_value(value)}")
        else:
            raise BenchitError(f"unknown option {key}= (use one of: {', '.join([*GROUPS, *_KEYWORDS])}, "
                               "or pass overrides=['key=value'])")
    return overrides


def compose_config(overrides: list[str] = (), config_dir: str | None = None) -> dict[str, Any]:
    """The same composed config the CLI would run, as plain data."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from benchit.app import to_plain
    from benchit.cli import check_group_options

    problem = check_group_options(list(overrides))
    if problem:
        raise BenchitError(problem)
    GlobalHydra.instance().clear()
    search = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            cfg = compose(config_name="config", overrides=[*overrides, *search])
    except Exception as error:
        from benchit.app import explain_config_error

        raise BenchitError(explain_config_error(error)) from None
    finally:
        GlobalHydra.instance().clear()
    return to_plain(cfg)


def _output_dir(config: dict[str, Any]) -> Path:
    from benchit.cache.layout import resolve_cache_dir

    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return resolve_cache_dir(config["cache"]["dir"]) / "runs" / f"{stamp}_{uuid.uuid4().hex[:6]}"


def _collect(script_runs) -> list[ModelResult]:
    results = []
    for run in script_runs:
        for model in run.result.get("models", []):
            for inv in model["invocations"]:
                results.append(ModelResult(
                    script=str(run.script), name=model["name"], model_class=model["class_name"],
                    model_type=model["model_type"], params=model["params"], hash=model["hash"], depth=model["depth"],
                    invocation=inv["index"], build_name=inv["build_name"], inputs=inv["inputs"], calls=inv["calls"],
                    status=inv["status"] if inv.get("selected") else "analyzed", message=inv.get("message", ""),
                    from_cache=bool(inv.get("from_cache")), warnings=list(inv.get("warnings") or []),
                    validation=dict(inv.get("validation") or {}), benchmark=dict(inv.get("benchmark") or {}),
                ))
    return results


# ---------------------------------------------------------------------------------------------- entry points
def benchmark_script(script: str | Path, *, overrides: list[str] = (), config_dir: str | None = None,
                     quiet: bool = True, raise_on_failure: bool = False, **options: Any) -> list[ModelResult]:
    """Analyze a script, build and benchmark every model it calls (in a child process, as the CLI does).

    Keyword options: device, sequence, cache, input, experiment (config group options) and cache_dir,
    lean_cache, rebuild, runtime, script_args, hashes, max_depth, mode, timeout, sequence_file.
    """
    from benchit.runner import RunError, run_job

    path = Path(script)
    overrides = [f"input.script={_value(str(path.resolve()))}", *to_overrides(options), *overrides]
    config = compose_config(overrides, config_dir)
    out = io.StringIO() if quiet else sys.stdout
    try:
        job = run_job(config, _output_dir(config), out=out)
    except RunError as error:
        raise BenchitError(str(error)) from None
    results = _collect(job.scripts)
    failures = [run.message for run in job.scripts if run.status != "ok"]
    if raise_on_failure and failures:
        raise BenchitError(failures[0])
    return results


def build_model(model: Any, inputs: Any, **options: Any) -> list[ModelResult]:
    """Discover and build `model` on `inputs` without benchmarking it (mode=build)."""
    return benchmark_model(model, inputs, mode="build", **options)


def benchmark_model(model: Any, inputs: Any, *, name: str | None = None, overrides: list[str] = (),
                    config_dir: str | None = None, **options: Any) -> list[ModelResult]:
    """Build and benchmark a PyTorch or Keras model object on `inputs`, in this process.

    `inputs`: a tuple of positional arguments, a dict of keyword arguments, or a single tensor.
    The model is called once on them (that call is what is built and measured). Failures raise
    BenchitError with the same one-line message the CLI prints.
    """
    from benchit.analysis import ModelRecorder
    from benchit.worker import Worker

    caller = Path(inspect.stack()[1].filename)
    stem = name or (caller.stem if caller.suffix == ".py" else type(model).__name__.lower())
    config = compose_config([*to_overrides(options), *overrides], config_dir)
    if config["mode"] == "benchmark":
        from benchit.runner import RunError, check_device

        try:
            check_device(config["device"])
        except RunError as error:
            raise BenchitError(str(error)) from None
    output_dir = _output_dir(config)
    from benchit.cache.layout import resolve_cache_dir

    job = {"script": str(caller.with_name(f"{stem}.py")), "config": config,
           "cache_dir": str(resolve_cache_dir(config["cache"]["dir"])), "result_path": str(output_dir / "result.json")}
    recorder = ModelRecorder(caller, max_depth=int(config["max_depth"]))
    recorder.start()
    try:
        if isinstance(inputs, dict):
            model(**inputs)
        elif isinstance(inputs, (tuple, list)):
            model(*inputs)
        else:
            model(inputs)
    finally:
        recorder.stop()
    if not recorder.models:
        raise BenchitError(f"{type(model).__name__} is not a PyTorch nn.Module or Keras Model benchit can hook")
    worker = Worker(job)
    worker.models = recorder.models
    worker.result["models"] = [worker._describe(info) for info in recorder.models]
    targets = worker.select()
    if targets is None:
        raise BenchitError(worker.result.get("error", "nothing selected"))
    if config["mode"] != "analyze" and targets:
        worker.build_and_benchmark(targets)
    worker.save()

    class _Run:  # the shape _collect reads
        script = job["script"]
        result = worker.result

    results = _collect([_Run])
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise BenchitError(failed[0].message)
    return results
