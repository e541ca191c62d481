"""The x86 CPU of this machine."""

from __future__ import annotations

import functools
import platform
from typing import Any

from benchit.devices.base import BenchmarkTarget, Device
from benchit.devices.runtimes import PROVIDERS, run_onnxruntime, run_torch


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The processor's name as the OS reports it, e.g. "Intel(R) Xeon(R) CPU @ 2.20GHz"."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


class X86Device(Device):
    runtimes = ("ort", "torch")

    def device_name(self) -> str:
        return cpu_name()

    def benchmark(self, target: BenchmarkTarget) -> dict[str, Any]:
        if self.runtime == "torch":
            return run_torch(self, target, "cpu")
        return run_onnxruntime(self, target, PROVIDERS["ort"])
