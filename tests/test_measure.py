"""The timing loop and its statistics (benchit.devices.measure), on a fake clock: every stopping rule and every
figure is exact, whatever the machine's load. How fast and how true the real loop is belongs to benchmarks/
(fidelity.py), never to a test."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from benchit.devices.measure import Measurement, measure, statistics


class FakeClock:
    """A clock that moves only when told: `tick` seconds per read (the timer's own cost), and what a model call
    takes when the test says so. Durations that decide when a loop stops are powers of two, so that sums of them
    are exact in floating point."""

    def __init__(self, tick: float = 0.0):
        self.now, self.tick, self.reads = 1024.0, tick, 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.tick
        return self.now

    def model(self, *seconds: float):
        """A model whose calls take `seconds[i]` (cycling), counted in `calls`."""
        self.calls = 0

        def call():
            self.now += seconds[self.calls % len(seconds)]
            self.calls += 1

        return call


def test_a_model_of_one_millisecond_measures_one_millisecond():
    clock = FakeClock()
    m = measure(clock.model(0.001), warmup_iterations=3, warmup_seconds=0.0, min_iterations=100, min_seconds=0.0,
                max_seconds=5.0, timer=clock)
    assert m.iterations == 100 and m.warmup_iterations == 3 and clock.calls == 103
    assert m.median_ms == pytest.approx(1.0) and m.mean_ms == pytest.approx(1.0)
    assert m.min_ms == pytest.approx(1.0) and m.max_ms == pytest.approx(1.0) and m.std_ms == pytest.approx(0.0)
    assert m.total_seconds == pytest.approx(0.1) and m.warmup_seconds == pytest.approx(0.003)
    assert m.timer == "perf_counter" and m.timer_overhead_ms == 0.0


def test_the_timer_cost_is_measured_and_recorded_not_subtracted():
    clock = FakeClock(tick=2e-6)  # every read of the clock costs 2 µs
    m = measure(clock.model(0.001), warmup_iterations=1, warmup_seconds=0.0, min_iterations=10, min_seconds=0.0,
                timer=clock)
    assert m.timer_overhead_ms == pytest.approx(0.002)  # two reads, one tick apart: 2 µs
    assert m.median_ms == pytest.approx(1.002)  # a sample holds the model and one tick of the timer


def test_min_seconds_keeps_measuring_past_min_iterations():
    clock = FakeClock()
    m = measure(clock.model(2**-7), warmup_iterations=0, warmup_seconds=0.0, min_iterations=5, min_seconds=0.5,
                max_seconds=10.0, timer=clock)
    assert m.iterations == 64  # 0.5 s of 7.8 ms calls, though 5 were asked for
    assert m.total_seconds == 0.5


def test_warmup_runs_for_its_count_and_its_duration():
    clock = FakeClock()
    m = measure(clock.model(2**-7), warmup_iterations=2, warmup_seconds=2**-4, min_iterations=1, min_seconds=0.0,
                timer=clock)
    assert m.warmup_iterations == 8 and m.warmup_seconds == 2**-4  # 8 calls to fill its duration
    clock = FakeClock()
    m = measure(clock.model(2**-7), warmup_iterations=7, warmup_seconds=2**-7, min_iterations=1, min_seconds=0.0,
                timer=clock)
    assert m.warmup_iterations == 7  # its count, past its duration


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
    clock = FakeClock()
    m = measure(clock.model(2**-6), warmup_iterations=1, warmup_seconds=0.0, min_iterations=10_000,
                min_seconds=0.0, max_seconds=2**-3, timer=clock)
    assert m.iterations == 8  # 0.125 s of 15.6 ms calls, though 10,000 were asked for
    assert m.total_seconds == 2**-3


def test_max_seconds_also_caps_the_warmup():
    clock = FakeClock()
    m = measure(clock.model(2**-4), warmup_iterations=1000, warmup_seconds=0.0, min_iterations=1, min_seconds=0.0,
                max_seconds=2**-2, timer=clock)
    assert m.warmup_iterations == 5  # stopped once past 0.25 s
    assert m.iterations == 1


def test_the_statistics_of_an_uneven_model():
    clock = FakeClock()
    m = measure(clock.model(0.001, 0.001, 0.001, 0.005), warmup_iterations=0, warmup_seconds=0.0,
                min_iterations=400, min_seconds=0.0, timer=clock)
    assert m.iterations == 400 and m.median_ms == pytest.approx(1.0) and m.max_ms == pytest.approx(5.0)
    assert m.mean_ms == pytest.approx(2.0) and m.p90_ms == pytest.approx(5.0)
    assert m.unstable(0.10)  # the outliers drag the mean 100 % off the median


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
