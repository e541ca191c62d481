"""Timing loops and statistics, kept small and honest (in the spirit of torch.utils.benchmark).

How a model is timed (docs/devices.md, "How benchit measures"):
- warm up: at least `warmup_iterations` calls and at least `warmup_seconds`;
- then time every call on its own until both `min_iterations` and `min_seconds` are reached, or
  `max_seconds` is (the cap wins);
- the garbage collector is off while timing (as in `timeit`), so a collection triggered by
  someone else's garbage is not charged to the model;
- statistics over every sample: nothing is trimmed or subtracted.

Every call is timed on its own (never a batch of calls divided by its size), so p90/p99/max are
real per-call latencies. The timer's own cost (two `perf_counter` reads, ~0.05 µs) is measured and
recorded beside the result, not subtracted.
"""

from __future__ import annotations

import gc
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
    cv: float  # coefficient of variation over all samples: std / mean
    robust_cv: float  # 1.4826 * MAD / median: the spread of typical calls, blind to rare outliers
    total_seconds: float  # sum of the timed samples
    warmup_iterations: int
    warmup_seconds: float = 0.0
    timer: str = "perf_counter"  # or "cuda_event" (PyTorch on CUDA)
    timer_overhead_ms: float = 0.0  # cost of an empty timed sample (included in every sample, not subtracted)

    @property
    def throughput(self) -> float:
        """Inferences per second, from the mean latency (the tutorial's definition)."""
        return 1000.0 / self.mean_ms if self.mean_ms > 0 else float("inf")

    def unstable(self, threshold: float = 0.10) -> bool:
        """Whether the numbers are too noisy to trust (see docs/devices.md).

        Two ways to be unstable: typical calls spread more than `threshold` around the median
        (robust CV), or rare outliers drag the mean (the headline) more than `threshold` away from
        the median. The plain CV is recorded but not used here: on a 5 µs model one 4 ms
        preemption among 100,000 calls makes it 300 % while every percentile up to p99 is within
        a few percent of the median.
        """
        if self.median_ms <= 0:
            return False
        drift = abs(self.mean_ms - self.median_ms) / self.median_ms
        return self.robust_cv > threshold or drift > threshold

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


def statistics(samples_s: list[float], warmup_iterations: int = 0, **extra) -> Measurement:
    """Statistics of per-call samples given in seconds; `extra` fills the descriptive fields."""
    if not samples_s:
        raise ValueError("no timing samples")
    ms = sorted(s * 1000.0 for s in samples_s)
    n = len(ms)
    mean = math.fsum(ms) / n
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in ms) / (n - 1)) if n > 1 else 0.0
    median = _percentile(ms, 0.5)
    mad = _percentile(sorted(abs(x - median) for x in ms), 0.5)
    return Measurement(
        iterations=n, mean_ms=mean, median_ms=median, p90_ms=_percentile(ms, 0.9),
        p99_ms=_percentile(ms, 0.99), min_ms=ms[0], max_ms=ms[-1], std_ms=std,
        cv=std / mean if mean > 0 else 0.0, robust_cv=1.4826 * mad / median if median > 0 else 0.0,
        total_seconds=math.fsum(samples_s), warmup_iterations=warmup_iterations, **extra,
    )


def timer_overhead(timer: Callable[[], float] = time.perf_counter, n: int = 1000) -> float:
    """Median cost in seconds of an empty timed sample (two timer reads)."""
    samples = []
    for _ in range(n):
        t0 = timer()
        samples.append(timer() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def measure(
    fn: Callable[[], object],
    *,
    warmup_iterations: int = 10,
    warmup_seconds: float = 0.05,
    min_iterations: int = 100,
    min_seconds: float = 0.5,
    max_seconds: float = 10.0,
    timed_call: Callable[[], float] | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> Measurement:
    """Warm up, then time single calls until both min_iterations and min_seconds are reached.

    The loop stops at `max_seconds` of timing whatever the count (warm-up has its own cap of
    `max_seconds`). `timed_call`, when given, replaces the host timer for one sample: it calls the
    model once and returns the seconds it took (PyTorch on CUDA uses CUDA events); the loop's
    stopping rule still uses the host clock.
    """
    if min_iterations < 1:
        raise ValueError("min_iterations must be at least 1")
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = timer()
        warmed = 0
        while warmed < warmup_iterations or timer() - start < warmup_seconds:
            fn()
            warmed += 1
            if timer() - start > max_seconds:
                break
        warmup_elapsed = timer() - start
        samples: list[float] = []
        append = samples.append
        begin = timer()
        deadline = begin + max_seconds
        if timed_call is None:
            while True:
                t0 = timer()
                fn()
                t1 = timer()
                append(t1 - t0)
                if (len(samples) >= min_iterations and t1 - begin >= min_seconds) or t1 >= deadline:
                    break
            overhead = timer_overhead(timer)
            kind = "perf_counter"
        else:
            while True:
                append(timed_call())
                now = timer()
                if (len(samples) >= min_iterations and now - begin >= min_seconds) or now >= deadline:
                    break
            overhead = 0.0
            kind = getattr(timed_call, "timer_name", "custom")
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics(samples, warmed, warmup_seconds=warmup_elapsed, timer=kind,
                      timer_overhead_ms=overhead * 1000.0)
