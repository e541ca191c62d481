"""`benchit report`: a CSV of every build config in the cache(s), comparisons, the funnel, or a sweep's summary.

    benchit report [--cache-dir DIR ...] [-o FILE.csv] [--plot]     one row per build config x device x runtime
    benchit report --compare sequence|device|runtime|batch_size      models x configs, median and ratio
    benchit report --funnel                                          scripts -> ... -> benchmarked, failures by cause
    benchit report SWEEP_DIR [...] [-o FILE.csv] [--plot]            rebuild SWEEP_DIR/summary.csv

Imports no torch, tensorflow, onnxruntime or Hydra; matplotlib only for --plot.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchit.cache.layout import DEFAULT_CACHE_DIR, resolve_cache_dir
from benchit.commands.parser import OneLineParser, UsageError
from benchit.report.compare import COMPARABLE

MAX_WARNINGS = 20
CACHE_TABLE = [("build_name", "build"), ("build_config", "config"), ("device", "device"), ("runtime", "runtime"),
               ("median_ms", "median ms"), ("mean_ms", "mean ms"), ("throughput_ips", "IPS"),
               ("samples_per_second", "samples/s"), ("unstable", "unstable"), ("status", "status"),
               ("error", "error")]
SWEEP_TABLE = [("job", "job"), ("variant", "overrides"), ("build_name", "build"), ("median_ms", "median ms"),
               ("mean_ms", "mean ms"), ("unstable", "unstable"), ("status", "status"), ("error", "error")]


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="benchit report", description=(
        "Summarize results. Without SWEEP_DIR: a CSV with one row per build config x device x runtime across "
        "every build in the cache(s). With SWEEP_DIR: rebuild its summary.csv from the jobs' results."))
    p.add_argument("sweeps", nargs="*", metavar="SWEEP_DIR", help="a sweep (or run) folder to summarize")
    p.add_argument("--cache-dir", "-d", action="extend", nargs="+", metavar="DIR",
                   help=f"cache(s) to report (default: $BENCHIT_CACHE_DIR, else {DEFAULT_CACHE_DIR})")
    p.add_argument("-o", "--output", metavar="FILE.csv",
                   help="where the CSV goes (default: <cache>/reports/report_<time>.csv, or SWEEP_DIR/summary.csv)")
    p.add_argument("--plot", action="store_true",
                   help="also write a PNG comparing latency per model and a Markdown table beside the CSV")
    p.add_argument("--compare", choices=COMPARABLE, metavar="DIMENSION",
                   help=f"print models x configs of one dimension ({', '.join(COMPARABLE)}) with median latency "
                        "and the ratio to the first; with --plot, grouped bars")
    p.add_argument("--funnel", action="store_true",
                   help="print scripts -> models -> exported -> optimized -> fp16 -> benchmarked, and the "
                        "failures grouped by root cause")
    p.add_argument("--labels", action="extend", nargs="+", metavar="KEY::VALUE", default=[],
                   help="only builds whose script has these labels (`# labels: name::bert author::huggingface` "
                        "on its first line)")
    p.add_argument("--rows", type=int, default=20, metavar="N", help="rows of the console table (default 20)")
    return p


def main(argv: list[str]) -> int:
    try:
        ns = _parser().parse_args(argv)
    except UsageError as error:
        print(f"benchit report: error: {error}", file=sys.stderr)
        return 2
    bad = [w for w in ns.labels if "::" not in w]
    if bad:
        return _fail(f"--labels takes KEY::VALUE, e.g. author::huggingface (got {bad[0]})")
    try:
        if ns.sweeps:
            if ns.labels and not ns.output:
                return _fail("--labels with SWEEP_DIR writes the selected rows to -o FILE.csv "
                             "(summary.csv keeps every job)")
            if ns.cache_dir:
                return _fail("give SWEEP_DIR or --cache-dir, not both")
            if ns.output and len(ns.sweeps) > 1:
                return _fail("-o names one file: give one SWEEP_DIR with it")
            return max(report_sweep(Path(sweep), ns) for sweep in ns.sweeps)
        return report_caches(ns)
    except BrokenPipeError:
        sys.stderr.close()
        return 0


def _fail(message: str) -> int:
    print(f"benchit report: error: {message}", file=sys.stderr)
    return 1


def _warn(warnings: list[str]) -> None:
    for text in warnings[:MAX_WARNINGS]:
        print(f"Warning: {text}", file=sys.stderr)
    if len(warnings) > MAX_WARNINGS:
        print(f"Warning: ... and {len(warnings) - MAX_WARNINGS} more (see the rows with status 'broken')",
              file=sys.stderr)


def _model_key(row: dict) -> str:
    return str(row.get("build_name") or row.get("model_name") or row.get("script") or "?")


def _cache_variant(row: dict) -> str:
    device, runtime, sequence = row.get("device") or "", row.get("runtime") or "", row.get("sequence") or ""
    head = f"{device}/{runtime}" if device or runtime else "not benchmarked"
    batch = f" bs{row['batch_size']}" if row.get("batch_size") not in (None, "") else ""
    return f"{head} {sequence}{batch}".strip()


def _wanted(labels: str, wanted: list[str]) -> bool:
    return set(wanted) <= set(labels.split())


def _select(rows: list[dict], wanted: list[str]) -> list[dict]:
    """Rows whose labels include every KEY::VALUE wanted (none wanted: all rows)."""
    return [r for r in rows if _wanted(str(r.get("labels") or ""), wanted)] if wanted else rows


def _counts(statuses) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        key = str(status or "unknown")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "empty"


def _table(rows: list[dict], columns, limit: int, total: int | None = None) -> None:
    from benchit.report.output import console_table

    if rows:
        print()
        for line in console_table(rows, columns, limit=limit, total=total):
            print(line)
        print()


def _with_speedups(entries) -> None:
    """speedup_vs_torch on the rows of every model that has a PyTorch eager result (only those are decoded)."""
    from benchit.report.compare import add_speedups

    baselines = {entry.model for entry in entries if entry.rendered.torch}
    affected = [entry for entry in entries if entry.model in baselines]
    if affected:
        add_speedups([row for entry in affected for row in entry.rows])
        for entry in affected:
            entry.replace_rows(entry.rows)


def report_caches(ns) -> int:
    from benchit.report.index import scan
    from benchit.report.output import write_rendered
    from benchit.report.rows import ordered_columns

    given = ns.cache_dir or [None]
    caches = [resolve_cache_dir(d) for d in given]
    missing = [str(d) for d, c in zip(given, caches) if not c.is_dir()]
    if missing:
        return _fail(f"no cache at {missing[0] or caches[0]} (run benchit first, or give --cache-dir DIR)")
    entries, warnings, builds, models = [], [], 0, 0
    for cache in caches:
        found = scan(cache)
        entries.extend(found.entries)
        warnings.extend(found.warnings)
        builds += found.builds
        models += found.models
    if ns.labels:
        entries = [entry for entry in entries if _wanted(entry.rendered.labels, ns.labels)]
    _with_speedups(entries)
    _warn(warnings)
    out = Path(ns.output) if ns.output else caches[0] / "reports" / f"report_{time.strftime('%Y-%m-%d_%H-%M-%S')}.csv"
    orders = {id(entry.rendered.columns): entry.rendered.columns for entry in entries}  # a handful, shared
    keys: dict[str, None] = {}
    for order in orders.values():
        keys.update(dict.fromkeys(order))
    write_rendered((entry.rendered for entry in entries), ordered_columns(keys), out)
    statuses = [status for entry in entries for status in entry.rendered.statuses]
    where = ", ".join(str(c) for c in caches)
    selected = f" with labels {' '.join(ns.labels)}" if ns.labels else ""
    print(f"Info: Report of {builds} build config{'s' if builds != 1 else ''} of {models} model"
          f"{'s' if models != 1 else ''} in cache {where}: "
          f"{len(statuses)} row{'s' if len(statuses) != 1 else ''}{selected} ({_counts(statuses)})")
    if ns.compare or ns.funnel or ns.plot:
        rows = [row for entry in entries for row in entry.rows]
        _views(rows, ns)
    else:  # the table's first rows: only their builds are decoded
        rows = []
        for entry in entries:
            if len(rows) >= ns.rows:
                break
            rows.extend(entry.rows)
        _table(rows, CACHE_TABLE, ns.rows, total=len(statuses))
    print(f"Info: Report written to {out}")
    if ns.plot:
        return _plot(rows, out, ns, _model_key, _cache_variant,
                     f"benchit: latency per model, {builds} build{'s' if builds != 1 else ''} ({where})")
    return 0


def _views(rows: list[dict], ns) -> None:
    """The console: a comparison, the funnel, or the first rows."""
    if ns.compare:
        from benchit.report.compare import compare, comparison_lines

        print()
        for line in comparison_lines(compare(rows, ns.compare)):
            print(line)
        print()
    if ns.funnel:
        from benchit.report.funnel import funnel, funnel_lines

        print()
        for line in funnel_lines(funnel(rows)):
            print(line)
        print()
    if not ns.compare and not ns.funnel:
        _table(rows, CACHE_TABLE if "job" not in (rows[0] if rows else {}) else SWEEP_TABLE, ns.rows)


def report_sweep(sweep_dir: Path, ns) -> int:
    from benchit.report.sweep import SUMMARY_COLUMNS, is_sweep_dir, scan_sweep, variant_labels, write_summary

    if not sweep_dir.is_dir():
        return _fail(f"{sweep_dir}: no such folder")
    if not is_sweep_dir(sweep_dir):
        return _fail(f"{sweep_dir}: not a sweep folder (no job folders with results.json or .hydra/); "
                     "for a cache use --cache-dir DIR")
    if ns.labels:
        from benchit.report.output import write_csv

        out, found = Path(ns.output), scan_sweep(sweep_dir)
        found.rows = _select(found.rows, ns.labels)
        write_csv(found.rows, SUMMARY_COLUMNS, out)
    else:
        out, found = write_summary(sweep_dir, Path(ns.output) if ns.output else None)
    _warn(found.warnings)
    labels = variant_labels(found.rows)
    for row in found.rows:
        row["variant"] = labels.get(str(row.get("job", "")), "")
    print(f"Info: Summary of sweep {sweep_dir}: {found.jobs} job{'s' if found.jobs != 1 else ''} "
          f"({found.failed_jobs} with failures), {len(found.rows)} rows "
          f"({_counts(row.get('status') for row in found.rows)})")
    _views(found.rows, ns)
    print(f"Info: Summary written to {out}")
    if ns.plot:
        return _plot(found.rows, out, ns, _model_key, lambda r: r.get("variant") or "",
                     f"benchit sweep {sweep_dir.name}: latency per model")
    return 0


def _plot(rows: list[dict], csv_path: Path, ns, model_of, variant_of, title: str) -> int:
    from benchit.cache.files import atomic_write_text
    from benchit.report.output import markdown_table

    md_path = csv_path.with_suffix(".md")
    text = markdown_table(rows, model_of, variant_of, title)
    if ns.funnel:
        from benchit.report.funnel import funnel, funnel_markdown

        text += "\n**Funnel**\n\n" + funnel_markdown(funnel(rows))
    atomic_write_text(md_path, text)
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        print(f"Info: Markdown table written to {md_path}")
        return _fail("--plot needs matplotlib: pip install 'benchit[plot]'")
    from benchit.report.plot import plot_comparison, plot_png

    if ns.compare:
        from benchit.report.compare import compare

        png = plot_comparison(compare(rows, ns.compare), csv_path.with_suffix(".png"), title)
    else:
        png = plot_png(rows, csv_path.with_suffix(".png"), model_of, variant_of, title)
    print(f"Info: Plot written to {png}")
    print(f"Info: Markdown table written to {md_path}")
    return 0
