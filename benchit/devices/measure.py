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

import dataclasses
import gc
import time
from dataclasses import dataclass
from typing import Callable

from benchit.records import Measurement

__all__ = ["Measurement", "MeasurementConfig", "measure", "statistics", "timer_overhead"]


@dataclass
class MeasurementConfig:
    """`device.measurement`: the one place these defaults live."""

    warmup_iterations: int = 10  # warm-up: at least this many calls ...
    warmup_seconds: float = 0.05  # ... and at least this long
    min_iterations: int = 100  # then time each call until both this many calls ...
    min_seconds: float = 0.5  # ... and this long have been reached,
    max_seconds: float = 10.0  # or this long (the cap wins; warm-up has the same cap)
    cv_warning: float = 0.10  # flag the result unstable above this spread (robust CV, or mean vs median)
    exclusive: bool = True  # no other benchit process on this machine builds or measures meanwhile


def statistics(samples_s: list[float], warmup_iterations: int = 0, **extra) -> Measurement:
    """Statistics of per-call samples given in seconds; `extra` fills the descriptive fields."""
    import numpy as np

    if not len(samples_s):
        raise ValueError("no timing samples")
    ms = np.asarray(samples_s, dtype=np.float64) * 1000.0
    mean, median = float(ms.mean()), float(np.median(ms))
    std = float(ms.std(ddof=1)) if ms.size > 1 else 0.0
    mad = float(np.median(np.abs(ms - median)))
    p90, p99 = (float(v) for v in np.percentile(ms, [90, 99]))
    return Measurement(
        iterations=int(ms.size), mean_ms=mean, median_ms=median, p90_ms=p90, p99_ms=p99,
        min_ms=float(ms.min()), max_ms=float(ms.max()), std_ms=std,
        cv=std / mean if mean > 0 else 0.0, robust_cv=1.4826 * mad / median if median > 0 else 0.0,
        total_seconds=float(np.sum(samples_s)), warmup_iterations=warmup_iterations, **extra,
    )


def timer_overhead(timer: Callable[[], float] = time.perf_counter, n: int = 1000) -> float:
    """Median cost in seconds of an empty timed sample (two timer reads)."""
    samples = []
    for _ in range(n):
        t0 = timer()
        samples.append(timer() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def measure(fn: Callable[[], object], settings: MeasurementConfig | None = None, *,
            timed_call: Callable[[], float] | None = None, timer: Callable[[], float] = time.perf_counter,
            **overrides) -> Measurement:
    """Warm up, then time single calls until both min_iterations and min_seconds are reached.

    `settings` (default: MeasurementConfig()) with any field overridden by keyword. The loop stops at
    `max_seconds` of timing whatever the count (warm-up has its own cap of `max_seconds`). `timed_call`,
    when given, replaces the host timer for one sample: it calls the model once and returns the seconds it
    took (PyTorch on CUDA uses CUDA events); the stopping rule still uses `timer`, the host clock.
    """
    s = dataclasses.replace(settings or MeasurementConfig(), **overrides)
    if s.min_iterations < 1:
        raise ValueError("min_iterations must be at least 1")
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = timer()
        warmed = 0
        while warmed < s.warmup_iterations or timer() - start < s.warmup_seconds:
            fn()
            warmed += 1
            if timer() - start > s.max_seconds:
                break
        warmup_elapsed = timer() - start
        samples: list[float] = []
        append = samples.append
        begin = timer()
        deadline = begin + s.max_seconds
        if timed_call is None:
            while True:
                t0 = timer()
                fn()
                t1 = timer()
                append(t1 - t0)
                if (len(samples) >= s.min_iterations and t1 - begin >= s.min_seconds) or t1 >= deadline:
                    break
            overhead, kind = timer_overhead(timer), "perf_counter"
        else:
            while True:
                append(timed_call())
                now = timer()
                if (len(samples) >= s.min_iterations and now - begin >= s.min_seconds) or now >= deadline:
                    break
            overhead, kind = 0.0, getattr(timed_call, "timer_name", "custom")
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics(samples, warmed, warmup_seconds=warmup_elapsed, timer=kind,
                      timer_overhead_ms=overhead * 1000.0)
