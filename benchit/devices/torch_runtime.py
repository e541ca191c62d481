"""PyTorch itself: the script's own model, eager (`torch`) or compiled (`torch_compile`), on CPU or CUDA.

No build: these runtimes time the framework model on the script's inputs, the baseline users compare
the built files against (`speedup_vs_torch` in the report). On CUDA each call is timed with CUDA events.
`torch_compile` compiles during load (its cost is `load_ms` plus the first call, never the timed loop);
a timed loop that recompiles is not a measurement of the compiled model, and is reported as a failure.
"""

from __future__ import annotations

import importlib.metadata as md
from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable, Runtime, Session


def torch_version() -> str | None:
    """The installed torch's version, read without importing torch (the parent never imports it)."""
    try:
        return md.version("torch")
    except md.PackageNotFoundError:
        return None


def _move(value, device):
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_move(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _move(v, device) for k, v in value.items()}
    return value


class TorchEager(Runtime):
    name = "torch"
    needs_onnx = False
    provider_word = "torch eager"

    def __init__(self, torch_device: str = "cpu"):
        self.torch_device = torch_device

    def check_available(self, device: Device) -> None:
        version = torch_version()
        if version is None:
            raise DeviceUnavailable(f"runtime={self.name}: PyTorch is not installed")
        if self.torch_device.startswith("cuda") and version.endswith("+cpu"):
            raise DeviceUnavailable(f"runtime={self.name}: the installed PyTorch ({version}) is a CPU-only build; "
                                    "install a CUDA build of torch")

    def prepare(self, device: Device, model):
        """The callable to time: the model itself (eager)."""
        return model

    def load(self, device: Device, target: BenchmarkTarget) -> Session:
        import torch

        from benchit.tensors import flatten_arrays

        if target.model is None or not isinstance(target.model, torch.nn.Module):
            raise DeviceUnavailable(f"runtime={self.name} benchmarks PyTorch models only (use runtime=ort for Keras)")
        on_cuda = self.torch_device.startswith("cuda")
        if on_cuda and not torch.cuda.is_available():
            raise DeviceUnavailable(f"runtime={self.name}: this PyTorch ({torch.__version__}) cannot use CUDA")
        if device.config.threads:
            torch.set_num_threads(int(device.config.threads))
        if on_cuda:
            torch.cuda.reset_peak_memory_stats(self.torch_device)
        model = self.prepare(device, target.model.to(self.torch_device))
        args, kwargs = _move(target.args, self.torch_device), _move(target.kwargs, self.torch_device)
        def call():
            return model(*args, **kwargs)

        timed = None
        if on_cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            synchronize = torch.cuda.synchronize

            def call():  # noqa: F811 - on CUDA a call ends when the GPU is done
                result = model(*args, **kwargs)
                synchronize()
                return result

            def timed() -> float:
                start.record()
                model(*args, **kwargs)
                end.record()
                end.synchronize()
                return start.elapsed_time(end) / 1000.0

            timed.timer_name = "cuda_event"  # type: ignore[attr-defined]
        tensors = [*args, *kwargs.values()]
        return Session(
            call=call, timed_call=timed, scope=torch.inference_mode(),
            outputs=lambda result: [array for _, array in flatten_arrays(result)],
            device_memory_mb=(lambda: torch.cuda.max_memory_allocated(self.torch_device) / 2**20) if on_cuda
            else (lambda: None),
            facts={"runtime_version": str(torch.__version__),
                   "provider": f"{self.provider_word} ({self.torch_device})",
                   "providers": [f"{self.provider_word} ({self.torch_device})"],
                   "threads": torch.get_num_threads(),
                   "threads_setting": "config" if device.config.threads else "torch default",
                   "input_dtypes": {f"arg{i}": str(a.dtype).replace("torch.", "") for i, a in enumerate(tensors)
                                    if isinstance(a, torch.Tensor)}},
            **self.extra(device),
        )

    def extra(self, device: Device) -> dict:
        return {}


class TorchCompile(TorchEager):
    """torch.compile of the script's model (inductor by default: `device.compile.backend`, `.mode`)."""

    name = "torch_compile"
    provider_word = "torch.compile"

    def prepare(self, device: Device, model):
        import torch
        from torch._dynamo.utils import counters

        settings = device.config.compile
        self._frames = counters["frames"]
        self._compiled_before = None
        return torch.compile(model, backend=settings.backend, mode=settings.mode, fullgraph=settings.fullgraph,
                             dynamic=settings.dynamic)

    def extra(self, device: Device) -> dict:
        settings = device.config.compile
        note = (f"torch.compile backend={settings.backend} mode={settings.mode or 'default'}: compiled during "
                "load_ms and first_call_ms, not in the timed loop")

        def compiled():  # after the first call, which compiles: the frames compiled so far
            self._compiled_before = self._frames["total"]

        return {"notes": lambda: [note], "broken": self._recompiled, "after_first_call": compiled}

    def _recompiled(self) -> str:
        if self._compiled_before is None:
            return ""
        extra = self._frames["total"] - self._compiled_before
        if extra <= 0:
            return ""
        return (f"torch.compile recompiled {extra} time(s) during warm-up and the timed loop (the inputs or the "
                "model's state changed between calls), so the figure would include compilation; try "
                "device.compile.dynamic=true or runtime=torch")
