"""NVML (nvidia-ml-py): the GPUs' names, and how much GPU memory this process holds."""

from __future__ import annotations

import os


def nvml_names() -> tuple[str, ...] | None:
    """GPU names from NVML, or None when the library (or a GPU) is not there."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    try:
        names = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(index))
            names.append(name.decode(errors="replace") if isinstance(name, bytes) else str(name))
        return tuple(names) or None
    except pynvml.NVMLError:
        return None
    finally:
        pynvml.nvmlShutdown()



def process_memory_mb(device_id: int = 0) -> float | None:
    """The GPU memory this process holds on GPU `device_id` (ONNX Runtime's arena never shrinks: after the timed
    loop this is its peak), or None where NVML cannot say."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no library, no driver
        return None
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(device_id)
        for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if proc.pid == os.getpid() and proc.usedGpuMemory is not None:
                return proc.usedGpuMemory / 2**20
        return None
    except Exception:  # noqa: BLE001 - containers often hide other pids: no figure rather than a wrong one
        return None
    finally:
        pynvml.nvmlShutdown()
