"""Timing loops and statistics, kept small and honest (in the spirit of torch.utils.benchmark)."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable


@dataclass
class Measurement:
    """Latency statistics of one model on one device and runtime, in milliseconds."""

    iterations: int
    mean_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float
    std_ms: float
    cv: float  # coefficient of variation: std / mean
    total_seconds: float
    warmup_iterations: int

    @property
    def throughput(self) -> float:
        """Inferences per second, from the mean latency (the tutorial's definition)."""
        return 1000.0 / self.mean_ms if self.mean_ms > 0 else float("inf")

    def to_dict(self) -> dict:
        return {**asdict(self), "throughput_ips": self.throughput}


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def statistics(samples_s: list[float], warmup_iterations: int = 0) -> Measurement:
    ms = sorted(s * 1000.0 for s in samples_s)
    n = len(ms)
    mean = sum(ms) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in ms) / (n - 1)) if n > 1 else 0.0
    return Measurement(
        iterations=n, mean_ms=mean, median_ms=_percentile(ms, 0.5), p90_ms=_percentile(ms, 0.9),
        p99_ms=_percentile(ms, 0.99), min_ms=ms[0], max_ms=ms[-1], std_ms=std,
        cv=std / mean if mean > 0 else 0.0, total_seconds=sum(samples_s), warmup_iterations=warmup_iterations,
    )


def measure(
    fn: Callable[[], object],
    *,
    warmup_iterations: int = 10,
    warmup_seconds: float = 0.05,
    min_iterations: int = 100,
    min_seconds: float = 0.5,
    max_seconds: float = 10.0,
    sync: Callable[[], object] | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> Measurement:
    """Warm up, then time single calls until both min_iterations and min_seconds are reached.

    Each call is timed on its own (so percentiles are real), and the loop stops at max_seconds
    whatever the count. `sync` (e.g. torch.cuda.synchronize) runs inside each timed call.
    """
    start = timer()
    warmed = 0
    while warmed < warmup_iterations or timer() - start < warmup_seconds:
        fn()
        warmed += 1
        if timer() - start > max_seconds:
            break
    samples: list[float] = []
    append = samples.append
    begin = timer()
    deadline = begin + max_seconds
    while True:
        t0 = timer()
        fn()
        if sync is not None:
            sync()
        t1 = timer()
        append(t1 - t0)
        if (len(samples) >= min_iterations and t1 - begin >= min_seconds) or t1 >= deadline:
            break
    return statistics(samples, warmed)
