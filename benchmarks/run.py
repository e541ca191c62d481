"""Run every benchmark and print one table of figures and ratios.

    python benchmarks/run.py                 all of them
    python benchmarks/run.py startup         only the named modules
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Each module defines rows() -> list[harness.Row]. Add new benchmark modules here.
MODULES = ["startup", "fidelity", "quiet", "cache_report", "corpus", "analysis_overhead", "build_reuse", "faults", "zoo",
           "clusters", "runtimes"]


def _fmt(value, unit):
    if value is None:
        return "-"
    return f"{value:.3g} {unit}".strip()


def main(argv: list[str]) -> int:
    names = argv or MODULES
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown benchmark {unknown[0]} (available: {', '.join(MODULES)})", file=sys.stderr)
        return 2
    table = []
    for name in names:
        start = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        for row in importlib.import_module(name).rows():
            table.append((name, row))
        print(f"  {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    header = ("module", "figure", "value", "baseline", "ratio", "goal", "met")
    lines = [header]
    for module, row in table:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
        base = f"{_fmt(row.baseline, row.unit)} ({row.baseline_name})" if row.baseline is not None else "-"
        met = "-" if row.ok is None else ("yes" if row.ok else "NO")
        lines.append((module, row.name, _fmt(row.value, row.unit), base, ratio, row.goal or "-", met))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
