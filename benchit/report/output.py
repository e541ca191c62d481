"""Writing reports: the CSV, a short console table and a Markdown table (plots: report/plot.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable

from benchit.cache.files import atomic_write_text
from benchit.report.compare import is_unstable, latency


def write_csv(rows: list[dict[str, Any]], columns: list[str], path: Path) -> None:
    """One CSV, columns in the given order (any other keys after them); written atomically.

    Integers stay integers next to empty cells (no 55.0), floats keep every digit, None is an empty cell.
    """
    import csv
    import io

    known, seen = set(columns), {}
    for row in rows:
        seen.update(row)
    extra = [key for key in seen if key not in known]
    fieldnames = list(columns) + extra
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fieldnames)
    writer.writerows([("" if (value := row.get(key)) is None else value) for key in fieldnames] for row in rows)
    atomic_write_text(path, buffer.getvalue())


def fmt_ms(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return ""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 0.001:
        return f"{value:.3g}"
    return f"{value:.2e}"


def console_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], limit: int = 20,
                  max_width: int = 48) -> list[str]:
    """A plain fixed-width table of the first `limit` rows: [(key, title), ...]."""
    cells = []
    for row in rows[:limit]:
        line = []
        for key, _ in columns:
            value = row.get(key)
            if key.endswith("_ms"):
                text = fmt_ms(value)
            elif isinstance(value, float):
                text = "" if math.isnan(value) else f"{value:.1f}"
            else:
                text = "" if value is None else str(value)
            if len(text) > max_width:
                text = text[:max_width - 3] + "..."
            line.append(text)
        cells.append(line)
    keep = [0] + [i for i in range(1, len(columns)) if any(line[i] for line in cells)]  # no empty columns
    columns = [columns[i] for i in keep]
    cells = [[line[i] for i in keep] for line in cells]
    titles = [title for _, title in columns]
    widths = [max([len(t)] + [len(c[i]) for c in cells]) for i, t in enumerate(titles)]
    out = ["  ".join(t.ljust(w) for t, w in zip(titles, widths)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    if len(rows) > limit:
        out.append(f"... {len(rows) - limit} more rows in the CSV")
    return out


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def pivot(rows: list[dict[str, Any]], model_of: Callable[[dict], str], variant_of: Callable[[dict], str]):
    """models, variants, {(model, variant): row} (the first row of each pair; a measured one wins)."""
    cells: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (model_of(row), variant_of(row))
        if key not in cells or (latency(row) is not None and latency(cells[key]) is None):
            cells[key] = row
    models = _ordered(m for m, _ in cells)
    variants = _ordered(v for _, v in cells)
    return models, variants, cells


def _cell_text(row: dict | None) -> str:
    if row is None:
        return ""
    median = latency(row)
    if median is not None:
        return fmt_ms(median) + (" *" if is_unstable(row) else "")
    return str(row.get("status") or "")


def markdown_table(rows: list[dict[str, Any]], model_of, variant_of, title: str = "") -> str:
    """Mean latency (ms) per model (rows) and device/runtime/sequence or sweep job (columns)."""
    models, variants, cells = pivot(rows, model_of, variant_of)

    def esc(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = []
    if title:
        lines += [f"**{esc(title)}** (median latency, ms; lower is better; * unstable)", ""]
    lines.append("| model | " + " | ".join(esc(v) for v in variants) + " |")
    lines.append("|---|" + "---:|" * len(variants))
    for model in models:
        lines.append(f"| {esc(model)} | " + " | ".join(esc(_cell_text(cells.get((model, v)))) for v in variants)
                     + " |")
    return "\n".join(lines) + "\n"
