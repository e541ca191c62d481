"""Devices and runtimes: where and how a built model is timed.

A device (x86, nvidia) is created from conf/device/*.yaml by its `_target_`; its `runtime`
chooses how the model runs (ONNX Runtime with an execution provider, or PyTorch eager).
Nothing heavy is imported at module level: the parent process only checks availability.
"""

from benchit.devices.base import Device, DeviceUnavailable, Measurement
from benchit.devices.measure import measure

__all__ = ["Device", "DeviceUnavailable", "Measurement", "measure"]
