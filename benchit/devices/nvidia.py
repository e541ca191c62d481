"""An NVIDIA GPU: ONNX Runtime's CUDA or TensorRT provider, or PyTorch eager on CUDA.

The runner calls `check_available()` in the parent before any work starts: no GPU, an
onnxruntime without the CUDA provider, or a CPU-only PyTorch is one clear line and a non-zero
exit (in a multirun, only this job fails). GPU names come from NVML (libnvidia-ml, through
ctypes: no extra package) or else nvidia-smi, looked up once per process.
"""

from __future__ import annotations

import ctypes
import functools
import shutil
import subprocess
from typing import Any

from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable
from benchit.devices.runtimes import PROVIDERS, probe_provider, run_onnxruntime, run_torch


def _nvml_names() -> tuple[str, ...] | None:
    """GPU names from NVML, or None when the library or a GPU is not there."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return None
    try:
        if nvml.nvmlInit_v2() != 0:
            return None
        try:
            count = ctypes.c_uint(0)
            if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
                return None
            names = []
            for index in range(count.value):
                handle = ctypes.c_void_p()
                if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != 0:
                    return None
                buffer = ctypes.create_string_buffer(96)
                if nvml.nvmlDeviceGetName(handle, buffer, ctypes.c_uint(96)) != 0:
                    return None
                names.append(buffer.value.decode(errors="replace"))
            return tuple(names) or None
        finally:
            nvml.nvmlShutdown()
    except AttributeError:  # an NVML too old for the _v2 entry points
        return None


def _smi_names() -> tuple[str, ...]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        raise DeviceUnavailable("no NVIDIA GPU found (nvidia-smi: not found)")
    try:
        out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DeviceUnavailable(f"no NVIDIA GPU found (nvidia-smi: {error})") from error
    names = tuple(line.strip() for line in out.stdout.splitlines() if line.strip())
    if out.returncode != 0 or not names:
        reason = (out.stderr or out.stdout).strip().splitlines()[:1] or [f"exit code {out.returncode}"]
        raise DeviceUnavailable(f"no NVIDIA GPU found (nvidia-smi: {reason[0]})")
    return names


@functools.lru_cache(maxsize=1)
def gpu_names() -> tuple[str, ...]:
    """GPU names ("NVIDIA A100-SXM4-40GB"), looked up once; raises DeviceUnavailable when there is none."""
    return _nvml_names() or _smi_names()


def _torch_build() -> str | None:
    """The installed torch's version string, read without importing torch (the parent never does)."""
    import importlib.metadata as md

    try:
        return md.version("torch")
    except md.PackageNotFoundError:
        return None


class NvidiaDevice(Device):
    runtimes = ("ort", "trt", "torch")

    @property
    def device_id(self) -> int:
        return int(self.provider_options.get("device_id", 0))

    def check_available(self) -> None:
        names = gpu_names()
        if self.device_id >= len(names):
            raise DeviceUnavailable(f"provider_options.device_id={self.device_id} but this machine has "
                                    f"{len(names)} GPU(s): {', '.join(names)}")
        if self.runtime == "torch":
            version = _torch_build()
            if version is None:
                raise DeviceUnavailable("runtime=torch: PyTorch is not installed")
            if version.endswith("+cpu"):
                raise DeviceUnavailable(f"runtime=torch: the installed PyTorch ({version}) is a CPU-only build; "
                                        "install a CUDA build of torch")
        else:
            # listed is not enough: a provider whose CUDA libraries are missing falls back to the CPU
            probe_provider(self.provider, self.provider_options)

    @property
    def provider(self) -> str:
        return PROVIDERS["trt" if self.runtime == "trt" else "cuda"]

    def device_name(self) -> str:
        names = gpu_names()
        return names[self.device_id] if self.device_id < len(names) else names[0]

    def benchmark(self, target: BenchmarkTarget) -> dict[str, Any]:
        if self.runtime == "torch":
            import torch

            if not torch.cuda.is_available():
                raise DeviceUnavailable(f"runtime=torch: this PyTorch ({torch.__version__}) cannot use CUDA")
            return run_torch(self, target, f"cuda:{self.device_id}")
        return run_onnxruntime(self, target, self.provider)
