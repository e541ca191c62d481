"""Devices through the real `benchit` command: runtimes from config and --runtime, overrides,
the nvidia error path (before any work, one line, non-zero exit; x86 jobs of a sweep still run)."""

from __future__ import annotations

import csv
import shutil

import pytest

from helpers import EXAMPLES, HELLO, QUICK, benchmarks, figures, needs_no_gpu, records, state_file, stats

pytestmark = pytest.mark.slow

NO_GPU_LINE = "benchit: error: device=nvidia: no NVIDIA GPU found (nvidia-smi: "


def _stats(cache_dir):
    return stats(cache_dir, HELLO)


@needs_no_gpu
@pytest.mark.parametrize("form", ["hydra", "tutorial"])
def test_nvidia_without_gpu_fails_before_any_work(benchit, cache_dir, form):
    args = ["input=hello_world", "device=nvidia"] if form == "hydra" else \
        [str(EXAMPLES / "hello_world.py"), "--device", "nvidia"]
    proc = benchit(*args)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(NO_GPU_LINE), proc.stderr
    if shutil.which("nvidia-smi") is None:
        assert lines[0] == NO_GPU_LINE + "not found)"
    assert "Models discovered" not in proc.stdout
    assert not (cache_dir / "hello_world_479b1332").exists(), "nothing may be built before the device check"


@needs_no_gpu
def test_multirun_over_devices_still_runs_the_x86_job(benchit, hello_cache, cache_dir):
    proc = benchit("-m", "input=hello_world", "device=x86,nvidia", *QUICK)
    assert proc.returncode != 0
    assert NO_GPU_LINE in proc.stderr
    assert "Model successfully benchmarked on" in proc.stdout
    assert set(_stats(cache_dir)["benchmarks"]) == {"x86/ort"}


def test_every_field_is_recorded_with_the_result(benchit, hello_cache, cache_dir):
    proc = benchit("input=hello_world", *QUICK, check=True)
    entry = figures(_stats(cache_dir)["benchmarks"]["x86/ort"])
    assert entry["mean_ms"] == figures(records(proc)[HELLO]["benchmark"])["mean_ms"], "the stats hold another one"
    for key in ("device", "device_name", "runtime", "runtime_version", "provider", "providers", "threads",
                "threads_setting", "input_dtypes", "iterations", "mean_ms", "median_ms", "p90_ms", "p99_ms",
                "min_ms", "max_ms", "std_ms", "cv", "robust_cv", "throughput_ips", "warmup_iterations",
                "timer", "timer_overhead_ms", "unstable", "unstable_reason", "load_ms", "first_call_ms", "memory",
                "validation", "session_options", "versions", "onnx_file", "timestamp"):
        assert key in entry, key
    assert entry["validation"]["ok"] and entry["memory"]["peak_rss_total_mb"] > 0
    assert entry["provider"] == "CPUExecutionProvider" and entry["runtime"] == "ort"
    from benchit.system.environment import cpu_name

    assert entry["device_name"] == cpu_name()
    # the default sequence ends in float16: the inputs were cast to what the built model declares
    assert entry["input_dtypes"] == {"x": "float16"}
    assert "onnxruntime-gpu" in entry["versions"] or "onnxruntime" in entry["versions"]


def test_measurement_parameters_are_overridable(benchit, hello_cache, cache_dir):
    benchit("input=hello_world", "device.measurement.min_iterations=7", "device.measurement.min_seconds=0",
            "device.measurement.warmup_iterations=3", "device.measurement.warmup_seconds=0",
            "device.threads=1", check=True)
    entry = figures(_stats(cache_dir)["benchmarks"]["x86/ort"])
    assert entry["iterations"] == 7 and entry["warmup_iterations"] == 3
    assert entry["threads"] == 1 and entry["threads_setting"] == "config"


def test_runtime_flag_selects_pytorch_eager(benchit, cache_dir):
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--runtime", "torch", *QUICK, check=True)
    assert "Model successfully benchmarked on" in proc.stdout
    entry = _stats(cache_dir)["benchmarks"]["x86/torch"]
    assert entry["provider"] == "torch eager (cpu)" and entry["runtime"] == "torch"
    assert entry["input_dtypes"] == {"arg0": "float32"}


def test_a_pytorch_eager_result_on_a_cold_cache_is_a_result_not_a_broken_build(benchit, cache_dir, tmp_path):
    """PyTorch eager needs no build; its result is still a result: `cache stats` and `report` show it (never as
    a broken build), and a later ONNX build of the model keeps it."""
    benchit(str(EXAMPLES / "hello_world.py"), "--runtime", "torch", *QUICK, check=True)
    shown = benchit("cache", "stats", HELLO)
    assert shown.returncode == 0 and "broken" not in shown.stderr, shown.stderr
    assert "x86/torch" in shown.stdout
    report = benchit("report", "-o", str(tmp_path / "r.csv"), check=True)
    assert "broken" not in report.stdout + report.stderr, report.stdout + report.stderr
    (row,) = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert (row["build_name"], row["runtime"], row["status"]) == (HELLO, "torch", "benchmarked")
    torch_result = benchmarks(cache_dir)["x86/torch"]
    benchit("input=hello_world", *QUICK, check=True)  # now built and measured with ONNX Runtime
    assert state_file(cache_dir).exists()
    results = benchmarks(cache_dir)
    assert set(results) == {"x86/ort", "x86/torch"} and results["x86/torch"] == torch_result


def test_sweep_over_runtimes(benchit, hello_cache, cache_dir):
    benchit("-m", "input=hello_world", "device.runtime=ort,torch", *QUICK, check=True)
    assert set(benchmarks(cache_dir)) == {"x86/ort", "x86/torch"}


def test_a_runtime_the_device_lacks_is_one_line(benchit, cache_dir):
    proc = benchit("input=hello_world", "device.runtime=trt")
    assert proc.returncode != 0
    assert ("device=x86: device x86 has no runtime 'trt' (available: ort, torch, torch_compile, openvino)"
            in proc.stderr)
    assert "Models discovered" not in proc.stdout
