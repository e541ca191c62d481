"""A device, its runtimes, and the one benchmark procedure every runtime goes through.

A device (x86, nvidia) is made from `device` config (`DeviceConfig`, whose `_target_` names its class); its
`runtime` picks a `Runtime`, which only knows how to load the model and call it once. `Device.benchmark`
does the rest the same way for all of them: load (timed: `load_ms`), the first call (`first_call_ms`), the
outputs against the framework's, warm-up and timed loop under the machine lock, memory, versions.
"""

from __future__ import annotations

import importlib
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, Optional

from benchit.devices.measure import MeasurementConfig, measure
from benchit.devices.memory import PeakMemory
from benchit.system.machine_lock import machine_lock
from benchit.records import Benchmark


@dataclass
class CompileConfig:
    """`device.compile`: how runtime=torch_compile compiles the script's model (torch.compile's arguments)."""

    backend: str = "inductor"
    mode: Optional[str] = None  # default | reduce-overhead | max-autotune | max-autotune-no-cudagraphs
    fullgraph: bool = False
    dynamic: Optional[bool] = False  # False: one static graph for the script's shapes


@dataclass
class OpenVinoConfig:
    """`device.openvino`: where and how runtime=openvino runs the built ONNX file."""

    device: str = "CPU"
    performance_hint: str = "LATENCY"  # LATENCY | THROUGHPUT | CUMULATIVE_THROUGHPUT


@dataclass
class DeviceConfig:
    _target_: str = "benchit.devices.x86.X86Device"
    name: str = "x86"
    runtime: str = "ort"
    threads: Optional[int] = None  # intra-op threads; None = the runtime's default
    provider_options: Dict[str, Any] = field(default_factory=dict)  # passed to the execution provider
    measurement: MeasurementConfig = field(default_factory=MeasurementConfig)
    compile: CompileConfig = field(default_factory=CompileConfig)
    openvino: OpenVinoConfig = field(default_factory=OpenVinoConfig)


class DeviceUnavailable(Exception):
    """The device cannot run here (no GPU, no provider, an extra not installed): one line, before work starts."""


@dataclass
class BenchmarkTarget:
    """What a device needs to time one model: the built file and its inputs, and the live model."""

    onnx_file: Optional[Path]
    inputs: dict  # ONNX input name -> numpy array (cast as the built model requires)
    model: Any = None  # the framework object (runtime=torch, torch_compile)
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    reference_outputs: list = field(default_factory=list)  # the framework's outputs, flattened to numpy
    batch_size: Optional[int] = None
    tolerance: float = 1e-2  # max abs error of the runtime's outputs before the validation says not ok


@dataclass
class Session:
    """A loaded model, ready to be called on the script's inputs."""

    call: Callable[[], Any]  # one inference
    facts: dict  # provider, providers, runtime_version, threads, ... (Benchmark's fields)
    outputs: Callable[[Any], list] = lambda result: []  # a call's result as numpy arrays, for validation
    timed_call: Optional[Callable[[], float]] = None  # one inference timed on the device (CUDA events)
    device_memory_mb: Callable[[], Optional[float]] = lambda: None
    notes: Callable[[], list] = lambda: []  # what the runtime saw while it ran (recompilations)
    broken: Callable[[], str] = lambda: ""  # why the timed loop did not measure this model (it recompiled)
    after_first_call: Callable[[], None] = lambda: None
    scope: Any = field(default_factory=nullcontext)  # held around every call (torch.inference_mode)


class Runtime:
    """How one runtime loads a model. Subclasses set `name`, `needs_onnx` and implement `load`."""

    name: ClassVar[str] = ""
    needs_onnx: ClassVar[bool] = True  # False: it runs the script's own model (no build)

    def check_available(self, device: "Device") -> None:
        """Raise DeviceUnavailable with one line if this runtime cannot run here."""

    def load(self, device: "Device", target: BenchmarkTarget) -> Session:
        raise NotImplementedError


class BenchmarkFailed(Exception):
    """The runtime ran the model, but the result is not a measurement of it."""


class Device:
    """Base class for devices: a name, the runtimes it offers, and the benchmark procedure."""

    runtimes: ClassVar[dict[str, Callable[[], Runtime]]] = {}

    def __init__(self, config: DeviceConfig):
        if config.runtime not in self.runtimes:
            raise ValueError(f"device {config.name} has no runtime '{config.runtime}' "
                             f"(available: {', '.join(self.runtimes)})")
        self.config = config
        self.name = config.name
        self.runtime = self.runtimes[config.runtime]()

    @property
    def key(self) -> str:
        """How results are keyed in a build's stats: device/runtime."""
        return f"{self.name}/{self.runtime.name}"

    @property
    def needs_onnx(self) -> bool:
        return self.runtime.needs_onnx

    def check_available(self) -> None:
        """Raise DeviceUnavailable with a one-line reason if this device cannot run here."""
        self.runtime.check_available(self)

    def device_name(self) -> str:
        raise NotImplementedError

    def benchmark(self, target: BenchmarkTarget) -> Benchmark:
        from benchit.system.environment import library_versions, machine_load
        from benchit.tensors import padding_mask, validate

        settings = self.config.measurement
        lock = machine_lock(exclusive=True, waiting_for="building or measuring") if settings.exclusive \
            else nullcontext(0.0)
        with lock as waited, PeakMemory() as peak:
            start = time.perf_counter()
            session = self.runtime.load(self, target)
            loaded = time.perf_counter()
            with session.scope:
                first = session.call()
                first_call = time.perf_counter()
                session.after_first_call()
                validation = None
                if target.reference_outputs:
                    validation = validate(target.reference_outputs, session.outputs(first), target.tolerance,
                                          mask=padding_mask(target.inputs, target.kwargs))
                del first
                machine = machine_load()
                latency = measure(session.call, settings, timed_call=session.timed_call)
        broken = session.broken()
        if broken:
            raise BenchmarkFailed(broken)
        unstable_reason = latency.instability(settings.cv_warning)
        batch = target.batch_size
        return Benchmark(
            device=self.name, device_name=self.device_name(), runtime=self.runtime.name, latency=latency,
            throughput_ips=latency.throughput, unstable=bool(unstable_reason), unstable_reason=unstable_reason,
            batch_size=batch, samples_per_second=latency.throughput * batch if batch else None,
            load_ms=round((loaded - start) * 1000, 3), first_call_ms=round((first_call - loaded) * 1000, 3),
            memory=peak.record(session.device_memory_mb()), validation=validation, machine=machine,
            notes=list(session.notes()), lock_wait_seconds=round(waited or 0.0, 3),
            onnx_file=target.onnx_file.name if target.onnx_file else None, versions=library_versions(),
            timestamp=time.strftime("%Y-%m-%dT%H:%M:%S%z"), **session.facts,
        )


def device_from_config(config: DeviceConfig) -> Device:
    """The device object `config._target_` names (a class taking the DeviceConfig)."""
    module, _, name = config._target_.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise DeviceUnavailable(f"device._target_={config._target_}: {error}") from None
    return cls(config)
