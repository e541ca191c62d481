"""Per-call overhead of benchit's measurement loop on every x86 runtime, against a bare loop on the same session.

    python benchmarks/run.py runtimes        (or: python benchmarks/runtimes.py)

For each runtime (`ort`, `torch`, `torch_compile`, `openvino`) benchit's own runtime class
(`benchit/devices/`) loads hello_world (a Linear(10, 5): a few µs a call, so any cost benchit adds
to a call shows) the way a run does: the ONNX file of a real `benchit ... mode=build` for `ort` and
`openvino`, the script's own model and inputs for `torch` and `torch_compile`. Then, in this one
process, on that one loaded session:
- benchit's side is `Device.benchmark` itself (machine lock, peak memory, first call, validation, the
  timed loop of `benchit/devices/measure.py`), its reported median; the load is done once and reused, so
  `torch_compile` compiles once;
- the bare side is a loop written here that calls the very object benchit's Session calls, taken out of
  it (ONNX Runtime's `session.run(None, feeds)`, the model or the compiled module under
  `torch.inference_mode()`, OpenVINO's `request.infer(feeds)`), each call timed with `perf_counter`
  as fidelity.py's bare loop does, under the machine lock too (so another benchit process measuring
  meanwhile cannot load one side only).
They alternate (bare, benchit, bare, ..., bare); each benchit median is compared with the mean of
the bare medians just before and after it, and the row is the median of those differences: benchit's
per-call overhead, goal <= 2 µs. The row shows the pairs' spread (± their median absolute deviation
around it); when the spread is above the goal the machine's noise hides the figure and the row says
"not resolved" instead of met (on a loaded 2-core machine OpenVINO's hello_world call swung from 0.22
to 4.2 ms between windows, in the bare loop as much as in benchit's). Every runtime uses one thread
(`device.threads=1`): on a shared 2-core machine more threads make a call wait for a neighbour's core
(see fidelity.py).
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import EXAMPLES, QUICK, Row, benchit_argv, temp_dir

RUNTIMES = ["ort", "torch", "torch_compile", "openvino"]
PAIRS = 1 if QUICK else 7  # benchit medians, each between two bare loops
WINDOW = 0.1 if QUICK else 0.5  # seconds timed per side per pair (after a 0.1 s warm-up)
SCRIPT = EXAMPLES / "hello_world.py"
DETAILS: list[str] = []


def _build(cache: Path) -> tuple[Path, dict]:
    """hello_world's ONNX file and inputs from a real build (export only, no benchmark)."""
    import numpy as np

    subprocess.run(benchit_argv(f"input.script={SCRIPT}", "sequence=export_only", "mode=build"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "BENCHIT_CACHE_DIR": str(cache)})
    onnx_files = sorted(cache.glob(f"{SCRIPT.stem}_*/*/onnx/*.onnx"))
    if len(onnx_files) != 1:
        raise RuntimeError(f"expected one ONNX file of {SCRIPT.name} in {cache}, found {len(onnx_files)}")
    saved = np.load(onnx_files[0].parent.parent / "inputs.npz")
    return onnx_files[0], {k: saved[k] for k in saved.files}


def _script_model():
    """The script's own model and the inputs it was called with (hello_world: model(**{"x": x}))."""
    with contextlib.redirect_stdout(io.StringIO()):
        namespace = runpy.run_path(str(SCRIPT), run_name="hello_world")
    return namespace["pytorch_model"], dict(namespace["inputs"])


def _cells(fn) -> dict:
    """The variables a closure captured: what benchit's Session.call really calls."""
    return dict(zip(fn.__code__.co_freevars, (cell.cell_contents for cell in fn.__closure__ or ())))


def _bare_call(runtime: str, session):
    """(one bare call, the context it runs in), built from the objects benchit's Session.call uses."""
    import torch

    cells = _cells(session.call)
    if runtime == "ort":
        run, feeds = cells["run"].__self__, cells["feeds"]
        return (lambda: run.run(None, feeds)), contextlib.nullcontext()
    if runtime in ("torch", "torch_compile"):
        model, args, kwargs = cells["model"], cells["args"], cells["kwargs"]
        return (lambda: model(*args, **kwargs)), torch.inference_mode()
    if runtime == "openvino":
        request, feeds = cells["request"], cells["feeds"]
        return (lambda: request.infer(feeds)), contextlib.nullcontext()
    raise ValueError(runtime)


def bare_loop(call, scope, seconds: float = WINDOW) -> float:
    """The reference loop (fidelity.py's, on any callable): median per-call seconds."""
    from benchit.system.machine_lock import machine_lock

    with machine_lock(exclusive=True, waiting_for="measuring"), scope:
        end = time.perf_counter() + 0.1
        while time.perf_counter() < end:
            call()
        samples = []
        end = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            call()
            t1 = time.perf_counter()
            samples.append(t1 - t0)
            if t1 >= end and len(samples) >= 100:
                break
    return statistics.median(samples)


def _device(runtime: str):
    from benchit.devices.base import DeviceConfig
    from benchit.devices.measure import MeasurementConfig
    from benchit.devices.x86 import X86Device

    device = X86Device(DeviceConfig(name="x86", runtime=runtime, threads=1, measurement=MeasurementConfig(
        warmup_iterations=10, warmup_seconds=0.1, min_iterations=100, min_seconds=WINDOW, max_seconds=10.0)))
    device.check_available()
    loaded = {}
    load = device.runtime.load

    def load_once(dev, target):  # benchit's own load, done once: every benchmark reuses the session
        if "session" not in loaded:
            loaded["session"] = load(dev, target)
        return loaded["session"]

    device.runtime.load = load_once
    return device, loaded


def overhead(runtime: str, onnx_file: Path, onnx_inputs: dict, model,
             kwargs: dict) -> tuple[float, float, float, float, str]:
    """benchit's median minus the bare loop's (µs, median of the pairs), the pairs' spread around it (median
    absolute deviation, µs), the two medians (µs), details."""
    from benchit.devices.base import BenchmarkTarget
    from benchit.tensors import flatten_arrays

    import torch

    with torch.inference_mode():
        reference = [array for _, array in flatten_arrays(model(**kwargs))]
    if runtime in ("torch", "torch_compile"):
        target = BenchmarkTarget(None, {}, model=model, kwargs=kwargs, reference_outputs=reference)
    else:
        target = BenchmarkTarget(onnx_file, onnx_inputs, reference_outputs=reference)
    device, loaded = _device(runtime)
    first = device.benchmark(target)  # loads (compiles), validates; its figure is not used
    if first.validation is not None and not first.validation.ok:
        raise RuntimeError(f"{runtime}: outputs differ from torch's ({first.validation})")
    call, scope = _bare_call(runtime, loaded["session"])
    bare = [bare_loop(call, scope)]
    medians = []
    for _ in range(PAIRS):
        medians.append(device.benchmark(target).latency.median_ms / 1000.0)
        bare.append(bare_loop(call, scope))
    references = [(before + after) / 2 for before, after in zip(bare, bare[1:])]
    diffs = [(m - r) * 1e6 for m, r in zip(medians, references)]
    diff_us = statistics.median(diffs)
    spread_us = statistics.median(abs(d - diff_us) for d in diffs)  # the pairs' own noise
    detail = (f"{runtime}: benchit medians {', '.join(f'{m * 1e6:.2f}' for m in medians)} µs, bare "
              f"{', '.join(f'{b * 1e6:.2f}' for b in bare)} µs ({first.runtime_version}, threads {first.threads})")
    return diff_us, spread_us, statistics.median(medians) * 1e6, statistics.median(references) * 1e6, detail


def rows() -> list[Row]:
    work = temp_dir("runtimes")
    table = []
    DETAILS.clear()
    loads = [os.getloadavg()[0]]
    try:
        onnx_file, onnx_inputs = _build(work / "cache")
        model, kwargs = _script_model()
        for runtime in RUNTIMES:
            try:
                diff_us, spread_us, benchit_us, bare_us, detail = overhead(runtime, onnx_file, onnx_inputs, model,
                                                                           kwargs)
            except Exception as error:  # noqa: BLE001 - one runtime that cannot run is one row saying so
                reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
                table.append(Row(f"hello_world, {runtime}: benchit median - bare median (FAILED: {reason})",
                                 float("nan"), "µs", None, "", "<= 2 µs per call", False))
                continue
            loads.append(os.getloadavg()[0])
            DETAILS.append(detail)
            name = (f"hello_world, {runtime}: benchit median - bare median "
                    f"(median of {PAIRS} pairs, ±{spread_us:.2g} µs)")
            if PAIRS < 3:  # quick mode: one pair shows that it runs, not what it is worth
                table.append(Row(name, diff_us, "µs", None, "", "<= 2 µs per call (quick: one pair)", None))
            elif spread_us > 2.0:  # the machine's noise is above the goal: the figure says nothing either way
                table.append(Row(name, diff_us, "µs", None, "", "<= 2 µs per call (not resolved: pairs spread "
                                 "above the goal)", None))
            else:
                table.append(Row(name, diff_us, "µs", None, "", "<= 2 µs per call", diff_us <= 2.0))
            table.append(Row(f"hello_world, {runtime}: benchit median", benchit_us, "µs", bare_us,
                             "bare loop on the same session", "", None))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for line in DETAILS:
        print(line, file=sys.stderr)
    table.append(Row("1-minute load average during the runs (max)", max(loads), "", None, "",
                     f"(information: {os.cpu_count()} CPUs)", None))
    return table


if __name__ == "__main__":
    import run

    sys.exit(run.main(["runtimes"]))
