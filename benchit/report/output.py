"""Writing reports: the CSV (pandas), a short console table, a Markdown table and a PNG plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable

from benchit.cache.files import atomic_write_text

FAILED = ("failed", "broken", "missing", "incomplete", "timed_out", "killed")


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


def plot_png(rows: list[dict[str, Any]], path: Path, model_of, variant_of, title: str) -> Path:
    """Horizontal grouped bars: mean latency per model, one bar per variant; failures marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models, variants, cells = pivot(rows, model_of, variant_of)
    n_models, n_variants = max(1, len(models)), max(1, len(variants))
    slot = max(0.26, 0.17 * n_variants)  # inches per model
    height = min(200.0, 1.6 + n_models * slot)
    fig, ax = plt.subplots(figsize=(11, height))
    bar = 0.8 / n_variants
    colors = plt.get_cmap("tab10" if n_variants <= 10 else "tab20")
    latencies = [v for v in (_latency(r) for r in cells.values()) if v is not None]
    low, high = (min(latencies), max(latencies)) if latencies else (1e-3, 1.0)
    log = high / low > 30
    annotate = n_models * n_variants <= 40
    for j, variant in enumerate(variants):
        ys, xs, failed_ys = [], [], []
        for i, model in enumerate(models):
            row = cells.get((model, variant))
            if row is None:
                continue
            y = i + (j - (n_variants - 1) / 2) * bar
            latency = _latency(row)
            if latency is None:
                if str(row.get("status")) in FAILED:
                    failed_ys.append(y)
                continue
            ys.append(y)
            xs.append(latency)
        color = colors(j % colors.N)
        ax.barh(ys, xs, height=bar * 0.92, color=color, label=variant)
        if annotate:
            for y, x in zip(ys, xs):
                ax.text(x, y, f" {fmt_ms(x)}", va="center", ha="left", fontsize=7)
        for y in failed_ys:
            ax.text(low if log else 0, y, " failed", va="center", ha="left", fontsize=7, color="#c0392b",
                    fontweight="bold")
    ax.set_yticks(range(len(models)))
    ax.set_yticklabels([m if len(m) <= 42 else m[:39] + "..." for m in models],
                       fontsize=9 if n_models <= 20 else 7)
    ax.set_ylim(len(models) - 0.5, -0.5)  # first model at the top
    if log:
        ax.set_xscale("log")
        ax.set_xlim(low / 2, high * 3)
    elif latencies:
        ax.set_xlim(0, high * 1.25)
    ax.set_xlabel("mean latency (ms, lower is better" + (", log scale)" if log else ")"))
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=11, loc="left")
    if variants:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title="device/runtime sequence" if "/" in "".join(variants) else None, title_fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
