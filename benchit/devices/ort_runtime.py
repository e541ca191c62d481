"""ONNX Runtime: a session on the requested execution provider, checked to really run there.

ONNX Runtime falls back to the CPU silently when a GPU provider cannot load; a CPU number is never
reported as a GPU one: the session's active providers are checked and their load errors become the
one-line reason. A session that a graph optimizer crashes on is retried with that optimizer disabled,
and the result says so.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable, Runtime, Session
from benchit.errors import root_cause

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


def check_provider_installed(provider: str) -> None:
    """Raise DeviceUnavailable if this onnxruntime build has no `provider` at all.

    A build that lists it can still fail to load it (no GPU, missing CUDA libraries): that is caught after
    the session is created, by `check_session_providers`.
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
    """The requested provider must be the first one active; `log` is what ONNX Runtime printed meanwhile."""
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


@functools.lru_cache(maxsize=1)
def preload_cuda_libraries() -> None:
    """Let onnxruntime-gpu find the CUDA and cuDNN libraries pip installed (benchit[cuda]).

    `onnxruntime.preload_dlls()` loads them from the nvidia site-packages (or a compatible PyTorch); its
    chatter is swallowed. Whether the provider then really runs is checked on the session.
    """
    import onnxruntime as ort

    from benchit.system.output_capture import redirect_output

    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    with redirect_output(None):
        try:
            preload()
        except Exception:  # noqa: BLE001 - a missing library shows up in the session check
            pass


def open_session(model, provider: str, provider_options: dict | None = None, options=None,
                 disabled_optimizers: list[str] | None = None):
    """An InferenceSession on `provider` (with its fallbacks), checked to really run on it.

    `model` is a path or the model's bytes. What ONNX Runtime prints while loading (provider errors, in
    colour) is kept out of the console and used in the error message. Returns (session, active providers).
    """
    import onnxruntime as ort

    from benchit.system.output_capture import redirect_output

    first: Any = (provider, dict(provider_options)) if provider_options else provider
    providers = [first, *FALLBACKS[provider]]
    model = str(model) if isinstance(model, os.PathLike) else model
    if provider in GPU_PROVIDERS:
        preload_cuda_libraries()
    with redirect_output(None) as captured:
        session = ort.InferenceSession(model, options, providers=providers,
                                       disabled_optimizers=disabled_optimizers or None)
    return session, check_session_providers(session, provider, captured.text)


def probe_provider(provider: str, provider_options: dict | None = None) -> None:
    """Open a one-node model on `provider`: DeviceUnavailable (one line, with ONNX Runtime's reason) if it
    would not really run there. The runner calls this before any work starts."""
    from onnx import TensorProto, helper

    check_provider_installed(provider)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    open_session(model.SerializeToString(), provider, provider_options)


def session_options(threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    options.log_severity_level = 3  # errors only; a provider that failed to load is caught in open_session
    return options


def open_with_retry(path, provider: str, provider_options: dict, threads: int | None):
    """A session on the built file; when a graph optimizer crashes on a valid file (ORT 1.31's MatMulAddFusion
    on some encoders: "Attempt to replace the existing tensor"), the session is opened again with that
    optimizer disabled. Returns (session, active providers, the options recorded, notes)."""
    recorded = {"graph_optimization_level": "ORT_ENABLE_ALL (default)", "intra_op_num_threads": threads or 0}
    try:
        session, active = open_session(path, provider, provider_options, session_options(threads))
        return session, active, recorded, []
    except DeviceUnavailable:
        raise
    except Exception as error:
        first_error = error
    disabled: list[str] = []
    for _ in range(MAX_DISABLED_OPTIMIZERS):
        optimizer = failing_optimizer(path, provider, provider_options, threads, disabled)
        if optimizer is None or optimizer in disabled:
            raise first_error
        disabled.append(optimizer)
        try:
            session, active = open_session(path, provider, provider_options, session_options(threads), disabled)
        except DeviceUnavailable:
            raise
        except Exception:  # another optimizer fails too: find it
            continue
        recorded["disabled_optimizers"] = list(disabled)
        names = ", ".join(disabled)
        return session, active, recorded, [f"ONNX Runtime's {names} crashed on this model "
                                           f"({_ort_reason(first_error)}); measured with {names} disabled"]
    raise first_error


MAX_DISABLED_OPTIMIZERS = 4


def _ort_reason(error: Exception) -> str:
    """ONNX Runtime nests its reason behind source locations: "... FAIL : graph.cc:4142 ... Attempt to ..."."""
    text = str(error).replace("\n", " ")
    tail = text.rsplit(" : FAIL : ", 1)[-1]
    tail = re.sub(r"^\S+\.cc:\d+ (\w+ )?", "", tail.strip())
    return tail[:160] if tail else root_cause(error, 160)
_APPLYING = re.compile(r"Applying (?:graph|rule-based graph) transformer (\w+)")


def failing_optimizer(path, provider: str, provider_options: dict, threads: int | None,
                      disabled: list[str]) -> str | None:
    """Open the session once more with ONNX Runtime's verbose log: the transformer it was applying when it
    failed is the last one the log names."""
    import onnxruntime as ort

    from benchit.system.output_capture import redirect_output

    options = session_options(threads)
    options.log_severity_level, options.log_verbosity_level = 0, 1
    providers = [(provider, dict(provider_options)) if provider_options else provider, *FALLBACKS[provider]]
    with redirect_output(None) as captured:
        try:
            ort.InferenceSession(str(path), options, providers=providers, disabled_optimizers=disabled or None)
            return None  # it opens now: nothing to name
        except Exception:  # noqa: BLE001 - the failure is what this looks for
            pass
    applied = _APPLYING.findall(captured.text)
    return applied[-1] if applied else None


class OnnxRuntime(Runtime):
    """The built ONNX file in ONNX Runtime, on one execution provider."""

    needs_onnx = True

    def __init__(self, name: str = "ort", provider: str = PROVIDERS["ort"]):
        self.name = name
        self.provider = provider

    def check_available(self, device: Device) -> None:
        if self.provider in GPU_PROVIDERS:  # listed is not enough: without its libraries it falls back to the CPU
            probe_provider(self.provider, device.config.provider_options)

    def load(self, device: Device, target: BenchmarkTarget) -> Session:
        import onnxruntime as ort

        from benchit.system.environment import physical_cores
        from benchit.tensors import feeds_for

        if target.onnx_file is None:
            raise DeviceUnavailable(f"runtime={self.name} needs an ONNX file; the build produced none")
        check_provider_installed(self.provider)
        threads = device.config.threads
        session, active, options, notes = open_with_retry(target.onnx_file, self.provider,
                                                          device.config.provider_options, threads)
        feeds = feeds_for(session.get_inputs(), list(target.inputs.items()))  # float16 builds take float16
        run = session.run
        on_gpu = self.provider in GPU_PROVIDERS
        device_id = int(device.config.provider_options.get("device_id", 0))

        def device_memory():
            from benchit.devices.nvml import process_memory_mb

            return process_memory_mb(device_id) if on_gpu else None

        return Session(
            call=lambda: run(None, feeds),
            outputs=list,
            notes=lambda: notes,
            device_memory_mb=device_memory,
            facts={
                "runtime_version": ort.__version__, "provider": active[0], "providers": active,
                "provider_options": dict(device.config.provider_options), "session_options": options,
                "threads": int(threads) if threads else physical_cores(),
                "threads_setting": "config" if threads else "onnxruntime default (one per physical core)",
                "input_dtypes": {name: str(array.dtype) for name, array in feeds.items()},
            },
        )
