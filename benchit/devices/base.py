"""The Device interface: availability check, a human name, and timing a built model."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.devices.measure import Measurement, measure
from benchit.quiet import machine_lock


class DeviceUnavailable(Exception):
    """The device cannot run here (no GPU, no provider); raised before any work starts."""


@dataclass
class BenchmarkTarget:
    """What a device needs to time one model: the built file and inputs, or the live model."""

    onnx_file: Path | None
    inputs: dict  # ONNX input name -> numpy array
    model: Any = None  # the framework object (runtime=torch)
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


class Device:
    """Base class for devices. Subclasses define `runtimes` and how each one runs."""

    runtimes: tuple[str, ...] = ()

    def __init__(self, name: str, runtime: str, threads: int | None = None,
                 provider_options: dict | None = None, measurement: dict | None = None):
        if runtime not in self.runtimes:
            raise ValueError(f"device {name} has no runtime '{runtime}' (available: {', '.join(self.runtimes)})")
        self.name = name
        self.runtime = runtime
        self.threads = threads
        self.provider_options = dict(provider_options or {})
        self.measurement = dict(measurement or {})

    @property
    def key(self) -> str:
        """How results are keyed in a build's stats: device/runtime."""
        return f"{self.name}/{self.runtime}"

    @property
    def needs_onnx(self) -> bool:
        return self.runtime != "torch"

    def check_available(self) -> None:
        """Raise DeviceUnavailable with a one-line reason if this device cannot run here."""

    def device_name(self) -> str:
        raise NotImplementedError

    def benchmark(self, target: BenchmarkTarget) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def cv_warning(self) -> float:
        return float(self.measurement.get("cv_warning", 0.10))

    def _measure(self, fn, timed_call=None) -> Measurement:
        """Time `fn` with this device's measurement settings (conf/device/*.yaml: measurement).

        With `exclusive` (the default) no other benchit process on this machine builds or measures meanwhile.
        """
        settings = {k: v for k, v in self.measurement.items() if k not in ("cv_warning", "exclusive")}
        quiet = (machine_lock(exclusive=True, waiting_for="building or measuring")
                 if self.measurement.get("exclusive", True) else contextlib.nullcontext())
        with quiet:
            return measure(fn, timed_call=timed_call, **settings)
