"""The report's pictures: latency per model (a bar per config, unstable bars hatched) and comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchit.report.compare import Comparison, is_unstable, latency
from benchit.report.output import fmt_ms, pivot

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
    measured_variants = [v for v in variants if any(latency(cells[(m, v)]) is not None
                                                    for m in models if (m, v) in cells)]
    colors = plt.get_cmap("tab10" if len(measured_variants) <= 10 else "tab20")
    color_of = {v: colors(j % colors.N) for j, v in enumerate(measured_variants)}
    latencies = [x for x in (latency(cells[(m, v)]) for m in models for v in variants if (m, v) in cells)
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
            value = latency(row)
            if value is not None:
                bars.append((y, value, v, is_unstable(row)))
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
        hatches = ["////" if b[3] else "" for b in bars if b[2] == v]
        ax.barh(ys, xs, height=bar * 0.85, color=color_of[v], label=v, hatch=hatches, edgecolor="white")
    if n_bars <= 160:
        for yy, x, _, unstable in bars:
            ax.text(x, yy, f" {fmt_ms(x)}{' unstable' if unstable else ''}", va="center", ha="left", fontsize=7)
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
    unstable_note = "; hatched: unstable" if any(b[3] for b in bars) else ""
    ax.set_xlabel("median latency (ms, lower is better" + (", log scale" if log else "") + unstable_note + ")")
    ax.grid(axis="x", which="major", alpha=0.35)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=11, loc="left")
    if measured_variants:
        legend_title = "device/runtime sequence" if all("/" in v for v in measured_variants) else None
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title=legend_title, title_fontsize=8)
    return _save(fig, path, plt)


def plot_comparison(table: Comparison, path: Path, title: str) -> Path:
    """Grouped bars: per model, one bar per compared config; labels give the ratio to the first config, and an
    unstable side turns the label into a warning instead of a speed-up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if table.by == "batch_size":
        return _plot_batch_sizes(table, path, title, plt)
    models, configs = table.models[:MAX_PLOT_MODELS], table.configs
    width = 0.8 / max(1, len(configs))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + 0.9 * len(models) * max(1, len(configs)) * 0.6), 4.8))
    colors = plt.get_cmap("tab10")
    for j, config in enumerate(configs):
        xs, heights, labels, hatches = [], [], [], []
        for i, model in enumerate(models):
            cell = table.cells.get((model, config))
            if cell is None or latency(cell) is None:
                continue
            ratio = table.ratio(model, config)
            xs.append(i + (j - (len(configs) - 1) / 2) * width)
            heights.append(latency(cell))
            unstable = table.unstable(model, config)
            hatches.append("////" if is_unstable(cell) else "")
            text = fmt_ms(latency(cell)) if j == 0 or ratio is None else f"{ratio:.2f}x"
            labels.append(text + ("\nunstable" if unstable else ""))
        bars = ax.bar(xs, heights, width=width * 0.95, color=colors(j % 10), label=f"{table.by}={config}",
                      hatch=hatches, edgecolor="white")
        for bar_, label in zip(bars, labels):
            ax.text(bar_.get_x() + bar_.get_width() / 2, bar_.get_height(), label, ha="center", va="bottom",
                    fontsize=7)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels([m if len(m) <= 28 else m[:25] + "..." for m in models], rotation=30, ha="right",
                       fontsize=8)
    ax.set_ylabel("median latency (ms, lower is better)")
    ax.set_title(f"{title}\nby {table.by}: ratios to each model's first {table.by}; hatched: unstable",
                 fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False)
    return _save(fig, path, plt)


def _plot_batch_sizes(table: Comparison, path: Path, title: str, plt) -> Path:
    """Throughput in samples per second against batch size, one line per model; unstable points hollow."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for model in table.models[:MAX_PLOT_MODELS]:
        points = [(int(c), table.cells[(model, c)]) for c in table.configs if c.isdigit() and (model, c) in table.cells]
        points = [(n, row) for n, row in points if row.get("samples_per_second")]
        if not points:
            continue
        xs, ys = [n for n, _ in points], [float(row["samples_per_second"]) for _, row in points]
        line, = ax.plot(xs, ys, marker="o", label=model)
        for x, y, (_, row) in zip(xs, ys, points):
            if is_unstable(row):
                ax.plot([x], [y], marker="o", markerfacecolor="white", color=line.get_color())
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("samples per second (higher is better)")
    ax.set_title(f"{title}\nthroughput against batch size; hollow: unstable", fontsize=10, loc="left")
    ax.grid(alpha=0.35)
    ax.legend(fontsize=8, frameon=False)
    return _save(fig, path, plt)


def _save(fig, path: Path, plt) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
