"""Comparisons: the same model under different configs (sequence, device, runtime, batch size), side by side.

Ratios are of medians (a mean drags rare outliers in); a ratio of which either side is unstable is marked,
never shown as a clean speed-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

COMPARABLE = ("sequence", "device", "runtime", "batch_size")
# What else identifies a measurement: rows that differ only in the compared dimension are compared.
_DIMENSIONS = ("device", "runtime", "sequence", "batch_size")


def latency(row: dict, column: str = "median_ms") -> float | None:
    value = row.get(column)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value) and value > 0:
        return float(value)
    return None


def is_unstable(row: dict) -> bool:
    value = row.get("unstable")
    return value is True or str(value).lower() == "true"


def add_speedups(rows: list[dict[str, Any]]) -> None:
    """`speedup_vs_torch`: torch eager's median on the same device, model and batch over this row's median."""
    baselines = {}
    for row in rows:
        if row.get("runtime") == "torch" and latency(row) is not None:
            baselines[(row.get("build_name"), row.get("device"), row.get("batch_size"))] = row
    for row in rows:
        base = baselines.get((row.get("build_name"), row.get("device"), row.get("batch_size")))
        mine = latency(row)
        if base is not None and mine is not None:
            row["speedup_vs_torch"] = round(latency(base) / mine, 4)
            if is_unstable(base) or is_unstable(row):
                row["speedup_unstable"] = True


@dataclass
class Comparison:
    by: str
    configs: list[str] = field(default_factory=list)  # the compared values, first seen first: the baseline
    models: list[str] = field(default_factory=list)  # model and the dimensions held fixed
    cells: dict[tuple[str, str], dict] = field(default_factory=dict)

    def baseline(self, model: str) -> str | None:
        """The model's first config that has a measurement: what its ratios are relative to."""
        return next((c for c in self.configs if (model, c) in self.cells), None)

    def ratio(self, model: str, config: str) -> float | None:
        base = self.cells.get((model, self.baseline(model)))
        cell = self.cells.get((model, config))
        if base is None or cell is None or latency(base) is None or latency(cell) is None:
            return None
        return latency(cell) / latency(base)

    def unstable(self, model: str, config: str) -> bool:
        base = self.cells.get((model, self.baseline(model)))
        cell = self.cells.get((model, config))
        return any(c is not None and is_unstable(c) for c in (base, cell))


def compare(rows: list[dict[str, Any]], by: str) -> Comparison:
    if by not in COMPARABLE:
        raise ValueError(f"--compare takes one of {', '.join(COMPARABLE)}, not {by!r}")
    table = Comparison(by=by)
    for row in rows:
        if latency(row) is None:
            continue
        fixed = " ".join(f"{row.get(d)}" for d in _DIMENSIONS if d != by and row.get(d) not in (None, ""))
        model = f"{row.get('build_name') or row.get('model_name')} {fixed}".strip()
        config = str(row.get(by))
        if config not in table.configs:
            table.configs.append(config)
        if model not in table.models:
            table.models.append(model)
        table.cells.setdefault((model, config), row)
    if by == "batch_size":
        table.configs.sort(key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0))
    return table


def comparison_lines(table: Comparison) -> list[str]:
    """The console table: median ms per config, and each config's ratio to the first (lower is faster)."""
    from benchit.report.output import fmt_ms

    if not table.configs:
        return [f"(no benchmarked rows to compare by {table.by})"]
    titles = ["model"] + [f"{table.by}={c}" for c in table.configs]
    lines = []
    any_unstable = False
    for model in table.models:
        cells = [model]
        for config in table.configs:
            cell = table.cells.get((model, config))
            if cell is None:
                cells.append("")
                continue
            text = fmt_ms(latency(cell))
            ratio = table.ratio(model, config)
            if config != table.baseline(model) and ratio is not None:
                text += f" ({ratio:.2f}x)"
            if table.by == "batch_size" and cell.get("samples_per_second"):
                text += f", {float(cell['samples_per_second']):.0f}/s"
            if table.unstable(model, config):
                text += " *"
                any_unstable = True
            cells.append(text)
        lines.append(cells)
    widths = [max(len(t), *(len(line[i]) for line in lines)) for i, t in enumerate(titles)]
    out = ["  ".join(t.ljust(w) for t, w in zip(titles, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    out.append(f"median latency in ms; (Nx): the ratio to the model's first {table.by} (below 1: faster)"
               + ("; N/s: samples per second" if table.by == "batch_size" else ""))
    if any_unstable:
        out.append("* unstable: one side of the ratio is noisy (see unstable_reason in the CSV); do not read it "
                   "as a speed-up")
    return out
