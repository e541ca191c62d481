"""Writing reports: the CSV, a short console table and a Markdown table (plots: report/plot.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from benchit.cache.files import atomic_write_text
from benchit.report.compare import is_unstable, latency


# Stored cells: rows joined by RS, a row's cells by US (ASCII's record and unit separators), each cell already
# CSV-quoted, so a row of any column order becomes a CSV line by joining strings (values that hold RS or US
# have them replaced by a space: a report cell, not a byte-exact copy).
RS, US = "\x1e", "\x1f"


def csv_cell(value: Any) -> str:
    """A value as a CSV cell (the quoting of the csv module's minimal dialect): None is empty, floats keep every
    digit (repr), integers stay integers next to empty cells (no 55.0), booleans read True/False."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if RS in text or US in text:
        text = text.replace(RS, " ").replace(US, " ")
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


class Rendered(NamedTuple):
    """Report rows as what a CSV needs of them, computed once when a build is read (the index keeps it; a
    tuple, as a report makes 100,000 of them)."""

    columns: tuple[str, ...]  # the rows' keys, first seen first
    cells: str  # see RS and US
    statuses: tuple[str, ...]
    labels: str  # the build config's labels (its rows share them)
    torch: bool  # a PyTorch eager row with a latency: other rows of its model get speedup_vs_torch


def keys_of(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of the rows, first seen first (dict.update runs in C)."""
    seen: dict[str, Any] = {}
    for row in rows:
        seen.update(row)
    return list(seen)


def render(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> Rendered:
    """`rows` rendered with `columns` (default: their keys, first seen first)."""
    columns = tuple(keys_of(rows) if columns is None else columns)
    cells = RS.join(US.join([csv_cell(row.get(key)) for key in columns]) for row in rows)
    return Rendered(columns, cells, tuple(str(row.get("status") or "") for row in rows),
                    str(rows[0].get("labels") or "") if rows else "",
                    any(row.get("runtime") == "torch" and latency(row) is not None for row in rows))


def csv_lines(rendered: Rendered, fieldnames: tuple[str, ...], mappings: dict) -> list[str]:
    """`rendered`'s rows as CSV lines with the columns `fieldnames` (`mappings` caches each column order's
    positions: a report meets a handful of them)."""
    if not rendered.cells and not rendered.columns:
        return []
    if rendered.columns == fieldnames:
        return rendered.cells.replace(US, ",").split(RS)
    mapping = mappings.get(rendered.columns)
    if mapping is None:
        position = {key: i for i, key in enumerate(rendered.columns)}
        mapping = mappings[rendered.columns] = [position.get(key, -1) for key in fieldnames]
    lines = []
    for text in rendered.cells.split(RS):
        cells = text.split(US)
        lines.append(",".join([cells[i] if i >= 0 else "" for i in mapping]))
    return lines


def write_rendered(rendered: Iterable[Rendered], fieldnames: list[str], path: Path) -> None:
    """One CSV of rows already rendered, columns `fieldnames` (every key the rows hold); written atomically."""
    header, mappings = tuple(fieldnames), {}
    parts = [",".join(csv_cell(name) for name in header)]
    for one in rendered:
        parts.extend(csv_lines(one, header, mappings))
    atomic_write_text(path, "\n".join(parts) + "\n")


def write_csv(rows: list[dict[str, Any]], columns: list[str], path: Path) -> None:
    """One CSV, columns in the given order (any other keys after them); written atomically."""
    known = set(columns)
    write_rendered([render(rows)], list(columns) + [key for key in keys_of(rows) if key not in known], path)


def fmt_ms(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return ""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 0.001:
        return f"{value:.3g}"
    return f"{value:.2e}"


def console_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], limit: int = 20,
                  max_width: int = 48, total: int | None = None) -> list[str]:
    """A plain fixed-width table of the first `limit` rows: [(key, title), ...] (`total`: how many rows the
    report has, when `rows` holds only the first ones)."""
    total = len(rows) if total is None else total
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
    if total > limit:
        out.append(f"... {total - limit} more rows in the CSV")
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
