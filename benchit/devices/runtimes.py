"""How each runtime runs a model: ONNX Runtime with an execution provider, or PyTorch eager.

Each function returns the facts recorded with every result (runtime, its version, the provider
that really ran, threads, the dtypes fed) and the Measurement.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import sys
import tempfile
from typing import Any, Iterator

from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable

# runtime name -> ONNX Runtime execution provider
PROVIDERS = {
    "ort": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "trt": "TensorrtExecutionProvider",
}
# What ONNX Runtime may use for the nodes the requested provider cannot run.
FALLBACKS = {
    "CPUExecutionProvider": [],
    "CUDAExecutionProvider": ["CPUExecutionProvider"],
    "TensorrtExecutionProvider": ["CUDAExecutionProvider", "CPUExecutionProvider"],
}
GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider")
HINTS = {
    "CUDAExecutionProvider": "no usable GPU, or its CUDA 13 / cuDNN 9 libraries are missing or do not match the "
                             "driver; install them with: pip install 'benchit[cuda]'",
    "TensorrtExecutionProvider": "no usable GPU, or the TensorRT libraries onnxruntime-gpu needs are not installed "
                                 "(see ONNX Runtime's TensorRT execution provider requirements)",
}


@functools.lru_cache(maxsize=1)
def physical_cores() -> int:
    """Physical cores this process may use: ONNX Runtime's default intra-op thread count."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cores = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            physical = core = None
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    core = value.strip()
                elif not line.strip():
                    if core is not None:
                        cores.add((physical, core))
                    physical = core = None
            if core is not None:
                cores.add((physical, core))
    except OSError:
        pass
    return max(1, min(len(cores) or allowed, allowed))


def machine_facts() -> dict[str, Any]:
    """The load on the machine just before timing: a busy neighbour explains a slow, noisy result."""
    facts: dict[str, Any] = {"logical_cpus": os.cpu_count()}
    if hasattr(os, "getloadavg"):
        facts["load_average_1min"] = round(os.getloadavg()[0], 2)
    return facts


def check_provider_installed(provider: str) -> None:
    """Raise DeviceUnavailable if this onnxruntime build has no `provider` at all.

    A build that lists it can still fail to load it (no GPU, missing CUDA libraries): that is
    caught after the session is created, by `check_session_providers`.
    """
    import onnxruntime as ort

    available = ort.get_available_providers()
    if provider not in available:
        import importlib.metadata as md

        package = "onnxruntime"
        for name in ("onnxruntime-gpu", "onnxruntime"):
            try:
                md.version(name)
                package = name
                break
            except md.PackageNotFoundError:
                continue
        raise DeviceUnavailable(
            f"the installed {package} {ort.__version__} has no {provider} (it has {', '.join(available)}); "
            "install onnxruntime-gpu: pip install 'benchit[cuda]'")


def check_session_providers(session, provider: str, log: str = "") -> list[str]:
    """ONNX Runtime falls back to the CPU silently: the requested provider must be the first one active.

    `log` is what ONNX Runtime printed while creating the session: its reason ("libcublasLt.so.13:
    cannot open shared object file") goes into the one-line error.
    """
    active = list(session.get_providers())
    if not active or active[0] != provider:
        found = re.search(r"with error: (.+)", log) or re.search(r"(Failed to create \w+)", log)
        reason = f" ({found.group(1).strip()})" if found else ""
        if provider == "TensorrtExecutionProvider" and "install TensorRT libraries" in log:
            reason = " (TensorRT libraries not found)"
        hint = f": {HINTS[provider]}" if provider in HINTS else ""
        raise DeviceUnavailable(
            f"ONNX Runtime could not use {provider}{reason}; the session would run on "
            f"{', '.join(active) or 'nothing'}, and a CPU number is never reported as {provider}{hint}")
    return active


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[list[str]]:
    """Capture what native code writes to file descriptor 2 (ONNX Runtime's provider load errors,
    in colour) so it does not reach the console; the text, colour codes removed, lands in the list."""
    captured: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    python_text = io.StringIO()  # onnxruntime's Python layer prints its "EP Error" banner
    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            with contextlib.redirect_stdout(python_text), contextlib.redirect_stderr(python_text):
                yield captured
        finally:
            captured.append(python_text.getvalue())
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", errors="replace")
            captured.append(re.sub(r"\x1b\[[0-9;]*m", "", text))


@functools.lru_cache(maxsize=1)
def preload_cuda_libraries() -> None:
    """Let onnxruntime-gpu find the CUDA and cuDNN libraries pip installed (benchit[cuda]).

    `onnxruntime.preload_dlls()` loads them from the nvidia site-packages (or a compatible PyTorch);
    its chatter is swallowed. Whether the provider then really runs is checked on the session.
    """
    import onnxruntime as ort

    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            preload()
        except Exception:  # noqa: BLE001 - a missing library shows up in the session check
            pass


def open_session(model, provider: str, provider_options: dict | None = None, options=None):
    """An InferenceSession on `provider` (with its fallbacks), checked to really run on it.

    `model` is a path or the model's bytes. GPU providers: the CUDA libraries are preloaded and
    ONNX Runtime's load errors are captured into the error message instead of the console.
    Returns (session, active providers).
    """
    import onnxruntime as ort

    first: Any = (provider, dict(provider_options)) if provider_options else provider
    providers = [first, *FALLBACKS[provider]]
    model = str(model) if isinstance(model, os.PathLike) else model
    if provider not in GPU_PROVIDERS:
        session = ort.InferenceSession(model, options, providers=providers)
        return session, check_session_providers(session, provider)
    preload_cuda_libraries()
    with native_stderr_captured() as log:
        session = ort.InferenceSession(model, options, providers=providers)
    return session, check_session_providers(session, provider, "".join(log))


def probe_provider(provider: str, provider_options: dict | None = None) -> None:
    """Open a one-node model on `provider`: raises DeviceUnavailable (one line, with ONNX Runtime's
    reason) if it would not really run there. The runner calls this before any work starts."""
    from onnx import TensorProto, helper

    check_provider_installed(provider)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    open_session(model.SerializeToString(), provider, provider_options)


def run_onnxruntime(device: Device, target: BenchmarkTarget, provider: str) -> dict[str, Any]:
    """Time `session.run` on the script's inputs, after checking the provider really runs."""
    import onnxruntime as ort

    from benchit.build.tensors import feeds_for

    if target.onnx_file is None:
        raise DeviceUnavailable(f"runtime={device.runtime} needs an ONNX file; the build produced none")
    check_provider_installed(provider)
    options = ort.SessionOptions()
    if device.threads:
        options.intra_op_num_threads = int(device.threads)
    options.log_severity_level = 3  # errors only; a provider that failed to load is caught in open_session
    session, active = open_session(target.onnx_file, provider, device.provider_options, options)
    # Cast to the dtypes the model declares (a float16 build takes float16 inputs).
    feeds = feeds_for(session.get_inputs(), list(target.inputs.items()))
    run = session.run
    facts = machine_facts()
    measurement = device._measure(lambda: run(None, feeds))
    return {
        "runtime": device.runtime,
        "runtime_version": ort.__version__,
        "provider": active[0],
        "providers": active,
        "provider_options": dict(device.provider_options),
        "threads": int(device.threads) if device.threads else physical_cores(),
        "threads_setting": "config" if device.threads else "onnxruntime default (one per physical core)",
        "input_dtypes": {name: str(array.dtype) for name, array in feeds.items()},
        **facts,
        "measurement": measurement,
    }


def run_torch(device: Device, target: BenchmarkTarget, torch_device: str) -> dict[str, Any]:
    """Time the framework model itself (eager), on the script's inputs moved to `torch_device`.

    On CUDA each call is timed with CUDA events (start/end recorded on the stream around the call,
    then synchronized), so the figure is GPU time of the call, not the host's queueing time.
    """
    import torch

    if target.model is None or not isinstance(target.model, torch.nn.Module):
        raise DeviceUnavailable("runtime=torch benchmarks PyTorch models only (use runtime=ort for Keras)")
    if device.threads:
        torch.set_num_threads(int(device.threads))
    model = target.model.to(torch_device)

    def move(value):
        if isinstance(value, torch.Tensor):
            return value.to(torch_device)
        if isinstance(value, (list, tuple)):
            return type(value)(move(v) for v in value)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        return value

    args, kwargs = move(target.args), move(target.kwargs)
    on_cuda = torch_device.startswith("cuda")

    def call():
        return model(*args, **kwargs)

    facts = machine_facts()
    with torch.inference_mode():
        if on_cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            synchronize = torch.cuda.synchronize

            def warm():
                call()
                synchronize()

            def timed() -> float:
                start.record()
                call()
                end.record()
                end.synchronize()
                return start.elapsed_time(end) / 1000.0

            timed.timer_name = "cuda_event"  # type: ignore[attr-defined]
            measurement = device._measure(warm, timed_call=timed)
        else:
            measurement = device._measure(call)
    dtypes = {f"arg{i}": str(a.dtype).replace("torch.", "") for i, a in enumerate(args) if isinstance(a, torch.Tensor)}
    dtypes.update({k: str(v.dtype).replace("torch.", "") for k, v in kwargs.items() if isinstance(v, torch.Tensor)})
    return {
        "runtime": device.runtime,
        "runtime_version": str(torch.__version__),
        "provider": f"torch eager ({torch_device})",
        "providers": [f"torch eager ({torch_device})"],
        "provider_options": {},
        "threads": torch.get_num_threads(),
        "threads_setting": "config" if device.threads else "torch default",
        "input_dtypes": dtypes,
        **facts,
        "measurement": measurement,
    }
