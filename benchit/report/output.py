"""Writing reports: the CSV (pandas), a short console table, a Markdown table and a PNG plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable

from benchit.cache.files import atomic_write_text


def write_csv(rows: list[dict[str, Any]], columns: list[str], path: Path) -> None:
    """One CSV, columns in the given order (any other keys after them); written atomically."""
    import pandas as pd

    extra = []
    seen = set(columns)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                extra.append(key)
    # object dtype: integers stay integers next to empty cells (no 55.0), floats keep every digit
    frame = pd.DataFrame(rows, columns=list(columns) + extra, dtype=object)
    atomic_write_text(path, frame.to_csv(index=False))


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
        if key not in cells or (_latency(row) is not None and _latency(cells[key]) is None):
            cells[key] = row
    models = _ordered(m for m, _ in cells)
    variants = _ordered(v for _, v in cells)
    return models, variants, cells


def _latency(row: dict) -> float | None:
    value = row.get("mean_ms")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value) and value > 0:
        return float(value)
    return None


def _cell_text(row: dict | None) -> str:
    if row is None:
        return ""
    latency = _latency(row)
    if latency is not None:
        return fmt_ms(latency)
    return str(row.get("status") or "")


def markdown_table(rows: list[dict[str, Any]], model_of, variant_of, title: str = "") -> str:
    """Mean latency (ms) per model (rows) and device/runtime/sequence or sweep job (columns)."""
    models, variants, cells = pivot(rows, model_of, variant_of)

    def esc(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = []
    if title:
        lines += [f"**{esc(title)}** (mean latency, ms; lower is better)", ""]
    lines.append("| model | " + " | ".join(esc(v) for v in variants) + " |")
    lines.append("|---|" + "---:|" * len(variants))
    for model in models:
        lines.append(f"| {esc(model)} | " + " | ".join(esc(_cell_text(cells.get((model, v)))) for v in variants)
                     + " |")
    return "\n".join(lines) + "\n"


MAX_PLOT_MODELS = 60


def plot_png(rows: list[dict[str, Any]], path: Path, model_of, variant_of, title: str,
             max_models: int = MAX_PLOT_MODELS) -> Path:
    """Horizontal bars grouped by model: one bar per device/runtime/sequence (or sweep job) that model has,
    a colour per variant, the value at the end of each bar, failures as a red 'failed' mark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models, variants, cells = pivot(rows, model_of, variant_of)
    if len(models) > max_models:  # beyond this a picture is unreadable; the CSV and Markdown hold them all
        title += f"\n(first {max_models} of {len(models)} models; all are in the CSV and the Markdown table)"
        models = models[:max_models]
    measured_variants = [v for v in variants if any(_latency(cells[(m, v)]) is not None
                                                    for m in models if (m, v) in cells)]
    colors = plt.get_cmap("tab10" if len(measured_variants) <= 10 else "tab20")
    color_of = {v: colors(j % colors.N) for j, v in enumerate(measured_variants)}
    latencies = [x for x in (_latency(cells[(m, v)]) for m in models for v in variants if (m, v) in cells)
                 if x is not None]
    low, high = (min(latencies), max(latencies)) if latencies else (1e-3, 1.0)
    log = high / low > 30
    # Pack each model's bars together (only the variants it has), so a sparse report wastes no space.
    bar, gap = 1.0, 0.6
    y, centers, bars, failures = 0.0, [], [], []
    for model in models:
        present = [v for v in variants if (model, v) in cells]
        top = y
        for v in present:
            row = cells[(model, v)]
            latency = _latency(row)
            if latency is not None:
                bars.append((y, latency, v))
            else:
                stage = row.get("failed_stage")
                failures.append((y, str(row.get("status") or "no result") + (f" at {stage}" if stage else ""), v))
            y += bar
        if not present:
            y += bar
        centers.append((top + y - bar) / 2)
        y += gap
    n_bars = len(bars) + len(failures)
    height = 1.4 + 0.19 * y
    fig, ax = plt.subplots(figsize=(11, max(2.6, height)))
    for v in measured_variants:
        ys = [b[0] for b in bars if b[2] == v]
        xs = [b[1] for b in bars if b[2] == v]
        ax.barh(ys, xs, height=bar * 0.85, color=color_of[v], label=v)
    if n_bars <= 160:
        for yy, x, _ in bars:
            ax.text(x, yy, f" {fmt_ms(x)}", va="center", ha="left", fontsize=7)
    for yy, status, v in failures:
        ax.text(low / 1.4 if log else 0, yy, f" {status}", va="center", ha="left", fontsize=7,
                color="#c0392b", fontweight="bold")
    ax.set_yticks(centers)
    ax.set_yticklabels([m if len(m) <= 42 else m[:39] + "..." for m in models],
                       fontsize=9 if len(models) <= 20 else 7.5)
    ax.set_ylim(y - gap + 0.2, -0.8)  # first model at the top
    if log:
        ax.set_xscale("log")
        ax.set_xlim(low / 1.5, high * 4)
    else:
        ax.set_xlim(0, high * 1.2)
    ax.set_xlabel("mean latency (ms, lower is better" + (", log scale)" if log else ")"))
    ax.grid(axis="x", which="major", alpha=0.35)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=11, loc="left")
    if measured_variants:
        legend_title = "device/runtime sequence" if all("/" in v for v in measured_variants) else None
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title=legend_title, title_fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
