"""The x86 CPU of this machine: ONNX Runtime's CPU provider, PyTorch eager or compiled, OpenVINO."""

from __future__ import annotations

from benchit.devices.base import Device
from benchit.devices.ort_runtime import PROVIDERS, OnnxRuntime
from benchit.devices.torch_runtime import TorchCompile, TorchEager
from benchit.system.environment import cpu_name


def _openvino():
    from benchit.devices.openvino_runtime import OpenVino

    return OpenVino()


class X86Device(Device):
    runtimes = {
        "ort": lambda: OnnxRuntime("ort", PROVIDERS["ort"]),
        "torch": lambda: TorchEager("cpu"),
        "torch_compile": lambda: TorchCompile("cpu"),
        "openvino": _openvino,
    }

    def device_name(self) -> str:
        return cpu_name()
