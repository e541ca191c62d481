"""The timing loop and its statistics (benchit.devices.measure), on functions of known timing."""

from __future__ import annotations

import gc
import math
import time

import numpy as np
import pytest

from benchit.devices.measure import Measurement, measure, statistics


def test_a_sleep_of_one_millisecond_measures_one_millisecond():
    m = measure(lambda: time.sleep(0.001), warmup_iterations=3, warmup_seconds=0.0, min_iterations=100,
                min_seconds=0.1, max_seconds=5.0)
    assert 0.8 <= m.median_ms <= 1.2, m
    assert m.iterations >= 100
    assert m.min_ms >= 0.999  # a sleep never returns early
    assert m.timer == "perf_counter"
    assert 0 < m.timer_overhead_ms < 0.01


def test_statistics_match_numpy_on_known_samples():
    rng = np.random.default_rng(0)
    samples = list(rng.uniform(0.001, 0.002, size=1001))
    m = statistics(samples, warmup_iterations=5)
    ms = np.array(samples) * 1000
    assert m.iterations == 1001 and m.warmup_iterations == 5
    assert m.mean_ms == pytest.approx(ms.mean())
    assert m.median_ms == pytest.approx(np.median(ms))
    assert m.p90_ms == pytest.approx(np.percentile(ms, 90))
    assert m.p99_ms == pytest.approx(np.percentile(ms, 99))
    assert (m.min_ms, m.max_ms) == (pytest.approx(ms.min()), pytest.approx(ms.max()))
    assert m.std_ms == pytest.approx(ms.std(ddof=1))
    assert m.cv == pytest.approx(ms.std(ddof=1) / ms.mean())
    mad = np.median(np.abs(ms - np.median(ms)))
    assert m.robust_cv == pytest.approx(1.4826 * mad / np.median(ms))
    assert m.total_seconds == pytest.approx(sum(samples))
    assert m.throughput == pytest.approx(1000.0 / m.mean_ms)
    record = m.to_dict()
    for key in ("iterations", "mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv",
                "robust_cv", "throughput_ips", "warmup_iterations", "warmup_seconds", "timer", "timer_overhead_ms"):
        assert key in record


def test_one_preemption_does_not_make_a_tiny_model_unstable():
    # 100,000 calls of 4 µs and one 4 ms preemption: the plain CV is huge, the numbers are fine.
    samples = [4e-6] * 50_000 + [4.2e-6] * 50_000 + [4e-3]
    m = statistics(samples)
    assert m.cv > 1.0
    assert not m.unstable(0.10)


def test_a_spread_out_or_outlier_dragged_measurement_is_unstable():
    bimodal = statistics([1e-3] * 500 + [2e-3] * 500)
    assert bimodal.unstable(0.10)
    dragged = statistics([1e-3] * 900 + [5e-3] * 100)  # median 1 ms, mean 1.4 ms
    assert dragged.robust_cv == 0.0 and dragged.unstable(0.10)


def test_stops_after_both_minimums():
    calls = []
    m = measure(lambda: calls.append(1), warmup_iterations=4, warmup_seconds=0.0, min_iterations=7,
                min_seconds=0.0)
    assert m.iterations == 7
    assert m.warmup_iterations >= 4
    assert len(calls) == m.iterations + m.warmup_iterations


def test_max_seconds_caps_a_slow_model():
    start = time.perf_counter()
    m = measure(lambda: time.sleep(0.02), warmup_iterations=1, warmup_seconds=0.0, min_iterations=10_000,
                min_seconds=0.0, max_seconds=0.2)
    assert m.iterations < 10_000
    assert time.perf_counter() - start < 2.0


def test_garbage_collector_is_restored():
    assert gc.isenabled()
    measure(lambda: None, warmup_iterations=1, warmup_seconds=0.0, min_iterations=5, min_seconds=0.0)
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        measure(lambda: 1 / 0, warmup_iterations=1, warmup_seconds=0.0, min_iterations=5, min_seconds=0.0)
    assert gc.isenabled()


def test_a_timed_call_replaces_the_host_timer():
    """PyTorch on CUDA hands measure() a function that times one call with CUDA events."""

    def timed() -> float:
        return 0.002

    timed.timer_name = "cuda_event"
    m = measure(lambda: None, timed_call=timed, warmup_iterations=1, warmup_seconds=0.0, min_iterations=20,
                min_seconds=0.0)
    assert m.iterations == 20 and m.timer == "cuda_event"
    assert m.median_ms == pytest.approx(2.0) and m.std_ms == pytest.approx(0.0, abs=1e-12)


def test_empty_samples_are_an_error():
    with pytest.raises(ValueError):
        statistics([])
    assert isinstance(statistics([0.001]), Measurement) and math.isclose(statistics([0.001]).median_ms, 1.0)
