"""An NVIDIA GPU: ONNX Runtime's CUDA or TensorRT provider, or PyTorch (eager or compiled) on CUDA.

The runner calls `check_available()` in the parent before any work starts: no GPU, an onnxruntime without
the CUDA provider, or a CPU-only PyTorch is one clear line and a non-zero exit (in a multirun, only this
job fails). GPU names come from NVML (nvidia-ml-py) or else nvidia-smi, looked up once per process.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from benchit.devices.base import Device, DeviceUnavailable
from benchit.devices.nvml import nvml_names
from benchit.devices.ort_runtime import PROVIDERS, OnnxRuntime
from benchit.devices.torch_runtime import TorchCompile, TorchEager


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
    return nvml_names() or _smi_names()


class NvidiaDevice(Device):
    runtimes = {
        "ort": lambda: OnnxRuntime("ort", PROVIDERS["cuda"]),
        "trt": lambda: OnnxRuntime("trt", PROVIDERS["trt"]),
        "torch": lambda: TorchEager("cuda"),
        "torch_compile": lambda: TorchCompile("cuda"),
    }

    def __init__(self, config):
        super().__init__(config)
        if hasattr(self.runtime, "torch_device"):
            self.runtime.torch_device = f"cuda:{self.device_id}"

    @property
    def device_id(self) -> int:
        return int(self.config.provider_options.get("device_id", 0))

    def check_available(self) -> None:
        names = gpu_names()
        if self.device_id >= len(names):
            raise DeviceUnavailable(f"provider_options.device_id={self.device_id} but this machine has "
                                    f"{len(names)} GPU(s): {', '.join(names)}")
        super().check_available()

    def device_name(self) -> str:
        names = gpu_names()
        return names[self.device_id] if self.device_id < len(names) else names[0]
