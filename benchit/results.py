"""What the Python API returns: one ModelResult per model invocation, in a Results list with conversions.

Made from the run's typed records (benchit.records); `benchmark` and `validation` are plain dicts so that
`result.benchmark["p99_ms"]` and `results.to_frame()` read like any other data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from benchit.data import flat, to_data
from benchit.records import ScriptRecord, Status


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
    status: Status  # analyzed | not selected | built | benchmarked | failed | ...
    message: str = ""
    build_config: str = ""
    from_cache: bool = False
    warnings: list = field(default_factory=list)
    validation: dict = field(default_factory=dict)  # stage -> {max_abs_error, max_rel_error, abs_tolerance, ok}
    benchmark: dict = field(default_factory=dict)  # device, runtime, provider, mean_ms ... throughput_ips (flat)

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    @property
    def ok(self) -> bool:
        return not self.status.is_failure

    @property
    def mean_ms(self) -> float | None:
        return self.benchmark.get("mean_ms")

    @property
    def median_ms(self) -> float | None:
        return self.benchmark.get("median_ms")

    @property
    def throughput(self) -> float | None:
        return self.benchmark.get("throughput_ips")

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data (nested dicts for inputs, validation and benchmark)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data

    def to_row(self) -> dict[str, Any]:
        """A flat dict (one DataFrame row): nested benchmark and validation fields become columns."""
        row = {k: v for k, v in self.to_dict().items() if k not in ("benchmark", "validation", "inputs", "warnings")}
        row["inputs"] = str(self.inputs)
        row["warnings"] = "; ".join(self.warnings)
        for key, value in self.benchmark.items():
            if not isinstance(value, (dict, list)):
                row[key if key not in row else f"benchmark_{key}"] = value
        for stage, check in self.validation.items():
            row[f"{stage}_max_abs_error"] = check.get("max_abs_error")
        return row

    def to_series(self):
        """This result as a pandas Series (the row `Results.to_frame()` would hold)."""
        import pandas as pd

        return pd.Series(self.to_row(), name=self.build_name)

    def __str__(self) -> str:
        head = f"{self.name} ({self.model_class}, {self.hash}, invocation {self.invocation}): {self.status.value}"
        b = self.benchmark
        if self.status is Status.BENCHMARKED and self.mean_ms is not None:
            text = (f"{head} on {b.get('device_name')} [{b.get('device')}/{b.get('runtime')}]: "
                    f"mean {b['mean_ms']:.4g} ms, median {b['median_ms']:.4g} ms, p99 {b['p99_ms']:.4g} ms, "
                    f"{b['throughput_ips']:.1f} IPS")
            return text + (f" (unstable: {b.get('unstable_reason')})" if b.get("unstable") else "")
        return f"{head}{': ' + self.message if self.message else ''}"

    def __repr__(self) -> str:
        extra = f", mean_ms={self.mean_ms:.4g}" if self.mean_ms is not None else ""
        return (f"ModelResult(name={self.name!r}, hash={self.hash!r}, invocation={self.invocation}, "
                f"status={self.status.value!r}{extra})")


class Results(list):
    """The ModelResults of one call, in the order the tree prints them; a list with conversions.

    `tree` is the text the CLI would have printed (benchmark_script), `output_dir` the run's folder.
    """

    tree: str = ""
    output_dir: Path | None = None

    @property
    def failed(self) -> list[ModelResult]:
        return [r for r in self if r.status.is_failure]

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


def model_results(record: ScriptRecord) -> list[ModelResult]:
    """A script's record -> one ModelResult per model invocation, in tree order."""
    found = []
    for model, inv in record.invocations():
        found.append(ModelResult(
            script=record.script, name=model.name, model_class=model.class_name, model_type=model.model_type,
            params=model.params, hash=model.hash, depth=model.depth, invocation=inv.index,
            build_name=inv.build_name, inputs=inv.inputs, calls=inv.calls,
            status=inv.status if inv.selected else Status.ANALYZED, message=inv.message,
            build_config=inv.build_config, from_cache=inv.from_cache, warnings=list(inv.warnings),
            validation={stage: to_data(check) for stage, check in inv.validation.items()},
            benchmark=flat(inv.benchmark) if inv.benchmark is not None else {}))
    return found
