"""An NVIDIA GPU: ONNX Runtime's CUDA or TensorRT provider, or PyTorch eager on CUDA."""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import Any

from benchit.devices.base import BenchmarkTarget, Device, DeviceUnavailable
from benchit.devices.runtimes import PROVIDERS, run_onnxruntime, run_torch


@functools.lru_cache(maxsize=1)
def gpu_names() -> tuple[str, ...]:
    """GPU names from nvidia-smi, looked up once; raises DeviceUnavailable when there is none."""
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


class NvidiaDevice(Device):
    runtimes = ("ort", "trt", "torch")

    def check_available(self) -> None:
        gpu_names()

    def device_name(self) -> str:
        index = int(self.provider_options.get("device_id", 0))
        names = gpu_names()
        return names[index] if index < len(names) else names[0]

    def benchmark(self, target: BenchmarkTarget) -> dict[str, Any]:
        if self.runtime == "torch":
            import torch

            if not torch.cuda.is_available():
                raise DeviceUnavailable("runtime=torch: this PyTorch build cannot use CUDA")
            return run_torch(self, target, f"cuda:{int(self.provider_options.get('device_id', 0))}")
        provider = PROVIDERS["trt" if self.runtime == "trt" else "cuda"]
        return run_onnxruntime(self, target, provider)
