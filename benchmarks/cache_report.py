"""`benchit cache list` and `benchit report` on a synthetic cache of 1,000 builds.

    python benchmarks/run.py cache_report

The builds are written in the real layout (state and stats YAML as a benchit run writes them,
a log per stage, an onnx/ folder), several devices/sequences per model and a few failed builds,
so the report parses what it parses in real life. `make_cache` is also used by the tests.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from harness import Row, benchit_argv, temp_dir, time_command

STAGES = ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]
VERSIONS = {"benchit": "0.1.0", "python": "3.11.7", "torch": "2.13.0+cpu", "onnx": "1.23.2",
            "onnxruntime-gpu": "1.31.1", "onnxscript": "0.7.2", "onnxconverter-common": "1.16.0"}


def build_files(name: str, *, script: str, model_hash: str, params: int, labels: dict | None = None,
                sequence: str = "default", status: str = "successful", failed_stage: str | None = None,
                benchmarks: dict | None = None, state_version: int = 1, shape: tuple = (1, 10)) -> tuple[dict, dict]:
    """The state and stats a benchit build writes (same keys, same nesting)."""
    completed = STAGES if status == "successful" else STAGES[:STAGES.index(failed_stage)] if failed_stage else []
    validation = {s: {"max_abs_error": 1.2e-07 if s != "fp16_conversion" else 2e-04, "max_rel_error": 3e-06,
                      "tolerance": 1e-4 if s != "fp16_conversion" else 1e-2, "ok": True}
                  for s in completed if s != "set_success"}
    facts = {"script": script, "model_name": "pytorch_model", "model_class": "SmallModel",
             "model_type": "Pytorch (torch.nn.Module)", "framework": "pytorch", "model_hash": model_hash,
             "params": params, "invocation": 1, "inputs": {"x": {"shape": list(shape), "dtype": "float32"}},
             "labels": labels or {}}
    state = {
        "state_version": state_version, "build_name": name, "build_status": status, "cache_dir": "/cache",
        "config": {"build_name": name, "build_key": "0" * 16, "sequence_name": sequence, "sequence": STAGES,
                   "stages": [{"stage": s, "class": f"benchit.build.stages.{s}"} for s in STAGES], **facts},
        "sequence": STAGES, "current_stage": None, "completed_stages": completed,
        "stage_seconds": {s: 0.01 * (i + 1) for i, s in enumerate(completed + ([failed_stage] if failed_stage else []))},
        "validation": validation, "warnings": [], "versions": VERSIONS, "lean": False,
        "timestamp": "2026-11-30T06:17:48+0000",
    }
    if failed_stage:
        state["failed_stage"] = failed_stage
        state["error"] = f"{failed_stage} failed: RuntimeError: synthetic failure; log: log_{failed_stage}.txt"
    else:
        state["onnx_file"] = f"onnx/{name}-fp16.onnx"
        state["artifacts"] = ["inputs.npz", *[f"log_{s}.txt" for s in STAGES], f"onnx/{name}-fp16.onnx"]
    stats = {"model": facts, "validation": validation, "benchmarks": {}}
    for key, mean in (benchmarks or {}).items():
        device, runtime = key.split("/")
        stats["benchmarks"][key] = {
            "device": device, "device_name": "AMD EPYC" if device == "x86" else "NVIDIA H200", "runtime": runtime,
            "runtime_version": "1.31.1", "provider": "CPUExecutionProvider", "threads": "default",
            "iterations": 1000, "mean_ms": mean, "median_ms": mean * 0.98, "p90_ms": mean * 1.1,
            "p99_ms": mean * 1.3, "min_ms": mean * 0.9, "max_ms": mean * 2, "std_ms": mean * 0.05, "cv": 0.05,
            "total_seconds": 0.5, "warmup_iterations": 10, "throughput_ips": 1000.0 / mean,
            "onnx_file": f"onnx/{name}-fp16.onnx", "unstable": False, "versions": VERSIONS,
            "timestamp": "2026-11-30T06:17:49+0000"}
    return state, stats


def write_build(cache: Path, name: str, state: dict | None, stats: dict | None, onnx: bool = True) -> Path:
    from benchit.cache.files import dump_yaml

    folder = cache / name
    (folder / "onnx").mkdir(parents=True, exist_ok=True)
    if state is not None:
        (folder / f"{name}_state.yaml").write_text(dump_yaml(state))
    if stats is not None and (stats.get("benchmarks") or stats.get("validation")):
        (folder / f"{name}_stats.yaml").write_text(dump_yaml(stats))
    for stage in STAGES:
        (folder / f"log_{stage}.txt").write_text(f"{stage}: ok\n")
    if onnx:
        (folder / "onnx" / f"{name}-fp16.onnx").write_bytes(b"\0" * 2048)
        (folder / "inputs.npz").write_bytes(b"\0" * 512)
    return folder


def make_cache(cache: Path, n_builds: int, *, failed_every: int = 25, seed: int = 0) -> list[str]:
    """`n_builds` builds (one model each), each benchmarked on x86 and nvidia; every `failed_every`-th failed."""
    rng = random.Random(seed)
    cache.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n_builds):
        model = i
        sequence = "default" if i % 3 else "optimize_fp32"
        model_hash = f"{(model + 1) * 2654435761 % 2**32:08x}"
        name = f"model{model:04d}_{model_hash}"
        failed = failed_every and i % failed_every == failed_every - 1
        base = rng.uniform(0.05, 50.0)
        state, stats = build_files(
            name, script=f"/corpus/model{model:04d}.py", model_hash=model_hash, params=rng.randint(1000, 10**8),
            labels={"name": f"model{model:04d}", "author": rng.choice(["huggingface", "torchvision", "timm"]),
                    "task": rng.choice(["classification", "fill_mask", "detection"])},
            sequence=sequence, status="failed" if failed else "successful",
            failed_stage="optimize_onnx" if failed else None,
            benchmarks=None if failed else {"x86/ort": base, "nvidia/ort": base / 8},
        )
        write_build(cache, name, state, stats)
        names.append(name)
    return names


def rows() -> list[Row]:
    folder = temp_dir("cache1000")
    try:
        cache = folder / "cache"
        make_cache(cache, 1000)
        env = {"BENCHIT_CACHE_DIR": str(cache)}
        startup = time_command(benchit_argv("version"), repeat=3, env=env)
        listing = time_command(benchit_argv("cache", "list"), repeat=5, env=env)
        report = time_command(benchit_argv("report", "-o", str(folder / "report.csv")), repeat=3, env=env)
        plot = time_command(benchit_argv("report", "-o", str(folder / "plot.csv"), "--plot"), repeat=1, env=env)
        return [
            Row("cache list, 1,000 builds", listing, "s", startup, "benchit version", "< 1 s", listing < 1.0),
            Row("report, 1,000 builds (1,960 rows)", report, "s", startup, "benchit version", "< 3 s", report < 3.0),
            Row("report --plot, 1,000 builds", plot, "s", report, "report", ""),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
