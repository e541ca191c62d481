"""How each runtime runs a model: ONNX Runtime with an execution provider, or PyTorch eager."""

from __future__ import annotations

from typing import Any

from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable

# runtime name -> ONNX Runtime execution provider
PROVIDERS = {
    "ort": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "trt": "TensorrtExecutionProvider",
}


def run_onnxruntime(device: Device, target: BenchmarkTarget, provider: str) -> dict[str, Any]:
    """Time `session.run` on the script's inputs, after checking the provider really runs."""
    import onnxruntime as ort

    from benchit.build.tensors import feeds_for

    options = ort.SessionOptions()
    if device.threads:
        options.intra_op_num_threads = int(device.threads)
    options.log_severity_level = 3  # errors only; a provider that failed to load is caught below
    providers: list[Any] = [(provider, device.provider_options) if device.provider_options else provider]
    if provider != "CPUExecutionProvider":
        providers.append("CPUExecutionProvider")
    session = ort.InferenceSession(str(target.onnx_file), options, providers=providers)
    active = session.get_providers()
    if not active or active[0] != provider:
        # ONNX Runtime falls back to the CPU silently; a CPU number must never be labelled as GPU.
        raise DeviceUnavailable(f"ONNX Runtime could not use {provider} (it would run on {', '.join(active)})")
    feeds = feeds_for(session.get_inputs(), list(target.inputs.items()))
    run = session.run
    sync = None
    measurement = device._measure(lambda: run(None, feeds), sync)
    return {
        "runtime": device.runtime,
        "runtime_version": ort.__version__,
        "provider": active[0],
        "threads": device.threads or options.intra_op_num_threads or "default",
        "measurement": measurement,
    }


def run_torch(device: Device, target: BenchmarkTarget, torch_device: str) -> dict[str, Any]:
    """Time the framework model itself (eager), on the script's inputs moved to `torch_device`."""
    import torch

    if target.model is None or not isinstance(target.model, torch.nn.Module):
        raise DeviceUnavailable("runtime=torch benchmarks PyTorch models only")
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
    sync = torch.cuda.synchronize if torch_device.startswith("cuda") else None

    def call():
        with torch.inference_mode():
            model(*args, **kwargs)

    measurement = device._measure(call, sync)
    return {
        "runtime": device.runtime,
        "runtime_version": torch.__version__,
        "provider": f"torch eager ({torch_device})",
        "threads": device.threads or torch.get_num_threads(),
        "measurement": measurement,
    }
