"""Small shared helpers for the benchmark modules: timing commands, a row of the table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "cli" / "scripts"
# BENCHIT_BENCH_QUICK=1: each benchmark runs once, small, to show that it runs (tests/test_docs.py runs the
# documented benchmark commands so); its figures are then not worth comparing.
QUICK = os.environ.get("BENCHIT_BENCH_QUICK", "").strip().lower() in ("1", "true", "yes")


@dataclass
class Row:
    name: str  # what was measured
    value: float
    unit: str  # "s", "ms", "x", "%", ...
    baseline: float | None = None  # measured in the same run, same unit
    baseline_name: str = ""
    goal: str = ""  # e.g. "<= 3 s", "<= 1.2x"
    ok: bool | None = None  # whether the goal is met

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def time_command(argv: list[str], repeat: int = 3, env: dict | None = None, cwd: Path | None = None,
                 setup: Callable[[], None] | None = None) -> float:
    """Median wall time of a command (seconds); `setup` runs before each repetition, untimed."""
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, **(env or {})}, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def benchit_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchit", *args]


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"benchit-bench-{prefix}-"))
