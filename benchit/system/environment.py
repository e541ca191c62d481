"""Facts about this machine and its libraries, recorded beside every build and every number."""

from __future__ import annotations

import functools
import os
import platform

# What built and ran a model: recorded in every state and benchmark.
LIBRARIES = ("torch", "onnx", "onnxruntime", "onnxruntime-gpu", "onnxscript", "onnxconverter-common",
             "tensorflow", "keras", "tf2onnx", "transformers", "openvino")


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    from benchit.version import __version__

    versions = {"benchit": __version__, "python": platform.python_version()}
    for package in LIBRARIES:
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return versions


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


@functools.lru_cache(maxsize=1)
def physical_cores() -> int:
    """Physical cores this process may use: ONNX Runtime's default intra-op thread count."""
    import psutil

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(psutil.cpu_count(logical=False) or allowed, allowed))


def machine_load() -> dict:
    """The load on the machine just before timing: a busy neighbour explains a slow, noisy result."""
    facts: dict = {"logical_cpus": os.cpu_count()}
    if hasattr(os, "getloadavg"):
        facts["load_average_1min"] = round(os.getloadavg()[0], 2)
    return facts
