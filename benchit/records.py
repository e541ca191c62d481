"""The records a run produces, from the worker to the report: one module, one status vocabulary.

    worker  -> <run>/scripts/NNN_<script>/result.json   ScriptRecord (models, invocations, builds, benchmarks)
    runner  -> <run>/results.json                        JobRecord (every ScriptRecord, and how each child ended)
    builder -> <cache>/<model>/<config>/state.yaml       BuildState
    pipeline-> <cache>/<model>/<config>/stats.yaml       BuildStats (Benchmarks keyed by device/runtime)

Everyone who reads these files (the runner, the Python API, the tree printer, the sweep summary, the report,
`cache stats`) reads them back into these same objects with `load`; nobody parses the dicts by hand.
benchit.data's `to_data` / `from_data` convert between the objects and plain JSON/YAML data.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Optional

from benchit.data import to_data


class Status(str, enum.Enum):
    """What happened: to a model invocation, a script, a job. The words users read everywhere."""

    ANALYZED = "analyzed"  # found (analyze mode)
    NOT_SELECTED = "not selected"  # found, left out by the hash filter or max_depth
    NOT_REACHED = "not reached"  # selected, but the run ended before it was built
    BUILT = "built"
    BENCHMARKED = "benchmarked"
    FAILED = "failed"
    # scripts and jobs
    OK = "ok"  # a job whose scripts all finished without a failure
    NO_MODELS = "no models"  # the script called no PyTorch or Keras model
    SKIPPED = "skipped"  # --resume: done before with the same config
    TIMED_OUT = "timed out"
    KILLED = "killed"  # by a signal
    INTERRUPTED = "interrupted"  # Ctrl-C, or a cluster cancelling a running job
    CANCELLED = "cancelled"  # a job cancelled before it started
    MISSING = "missing"  # a sweep job that left no results
    # cache entries
    RUNNING = "running"  # a build another benchit process is making right now
    BROKEN = "broken"  # a damaged entry: unreadable state, missing files

    def __str__(self) -> str:
        return self.value

    @property
    def is_failure(self) -> bool:
        return self in FAILURES


FAILURES = frozenset({Status.FAILED, Status.TIMED_OUT, Status.KILLED, Status.INTERRUPTED, Status.CANCELLED,
                      Status.MISSING, Status.BROKEN})
# The order of the parts of a summary line ("12 scripts: 10 benchmarked, 1 failed, 1 timed out").
SUMMARY_ORDER = (Status.BENCHMARKED, Status.BUILT, Status.ANALYZED, Status.NO_MODELS, Status.SKIPPED, Status.FAILED,
                 Status.TIMED_OUT, Status.KILLED, Status.INTERRUPTED, Status.CANCELLED, Status.MISSING)


class BuildStatus(str, enum.Enum):
    """Where a build stands, as its state file records it."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    SUCCESSFUL = "successful"  # every stage ran, the last one marked it successful
    PARTIAL = "partial"  # every stage ran, none marked it successful (a sequence without set_success)
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @property
    def usable(self) -> bool:
        return self in (BuildStatus.SUCCESSFUL, BuildStatus.PARTIAL)


# ------------------------------------------------------------------------------------------ measurement
@dataclass
class Measurement:
    """Latency statistics of one model on one device and runtime, in milliseconds (devices/measure.py)."""

    iterations: int
    mean_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float
    std_ms: float
    cv: float  # coefficient of variation over all samples: std / mean
    robust_cv: float  # 1.4826 * MAD / median: the spread of typical calls, blind to rare outliers
    total_seconds: float  # sum of the timed samples
    warmup_iterations: int
    warmup_seconds: float = 0.0
    timer: str = "perf_counter"  # or "cuda_event" (PyTorch on CUDA)
    timer_overhead_ms: float = 0.0  # cost of an empty timed sample (included in every sample, not subtracted)

    @property
    def throughput(self) -> float:
        """Calls per second, from the mean latency (the tutorial's definition)."""
        return 1000.0 / self.mean_ms if self.mean_ms > 0 else math.inf

    def instability(self, threshold: float = 0.10) -> str:
        """Why these numbers are too noisy to trust, or "" (docs/devices.md, "Unstable measurements").

        Typical calls spread more than `threshold` around the median (robust CV), or rare slow calls drag the
        mean (the headline) more than `threshold` away from the median. The plain CV is not used: on a 5 µs
        model one 4 ms preemption among 100,000 calls makes it 300 % while every percentile is steady.
        """
        if self.median_ms <= 0:
            return ""
        reasons = []
        if self.robust_cv > threshold:
            reasons.append(f"typical calls vary by {self.robust_cv:.0%} (robust CV)")
        drift = (self.mean_ms - self.median_ms) / self.median_ms
        if abs(drift) > threshold:
            side = "slow outliers pull the mean" if drift > 0 else "the mean lies"
            reasons.append(f"{side} {abs(drift):.0%} {'above' if drift > 0 else 'below'} the median")
        return "; ".join(reasons)

    def unstable(self, threshold: float = 0.10) -> bool:
        return bool(self.instability(threshold))

    def to_dict(self) -> dict:
        return {**to_data(self), "throughput_ips": self.throughput}


@dataclass
class Validation:
    """A model's outputs (a built file, or a runtime's) against the framework's, on the script's inputs."""

    max_abs_error: float
    max_rel_error: float
    abs_tolerance: float  # ok: max_abs_error (unmasked_abs_error when set) <= abs_tolerance; the relative
    ok: bool  # error is shown, not judged
    note: str = ""  # when the comparison means little: "the framework's outputs are all zero", ...
    # the error outside an attention_mask's padded positions, set when max_abs_error is over tolerance
    unmasked_abs_error: Optional[float] = None


@dataclass
class Memory:
    """Resident memory of the measuring process, and the GPU's, while the model loaded and ran."""

    peak_rss_mb: Optional[float] = None  # high-water mark during load + timed loop, minus what it held before
    peak_rss_total_mb: Optional[float] = None  # the absolute high-water mark
    rss_before_mb: Optional[float] = None
    device_memory_mb: Optional[float] = None  # NVIDIA: peak allocated by the runtime
    method: str = ""  # how the peak was read


@dataclass
class Benchmark:
    """One model measured on one device with one runtime (stats.yaml keys it by `device/runtime`)."""

    device: str  # the config's device: x86 | nvidia
    device_name: str  # what the machine calls it: "AMD EPYC 7B13"
    runtime: str  # ort | trt | torch | torch_compile | openvino
    runtime_version: str
    provider: str  # what really ran (ONNX Runtime falls back silently: this is checked)
    latency: Measurement
    throughput_ips: float  # calls per second
    unstable: bool = False
    unstable_reason: str = ""
    batch_size: Optional[int] = None  # the inputs' batch dimension, when they have one
    samples_per_second: Optional[float] = None  # throughput_ips * batch_size
    load_ms: Optional[float] = None  # session creation, or compilation
    first_call_ms: Optional[float] = None  # the first inference, cold
    memory: Optional[Memory] = None
    validation: Optional[Validation] = None  # this runtime's outputs against the framework's
    providers: list[str] = field(default_factory=list)
    provider_options: dict = field(default_factory=dict)
    session_options: dict = field(default_factory=dict)
    threads: Optional[int] = None
    threads_setting: str = ""
    input_dtypes: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)  # load just before timing: a busy neighbour explains a slow result
    notes: list[str] = field(default_factory=list)  # retries, recompilations, caveats: said wherever the number goes
    onnx_file: Optional[str] = None
    lock_wait_seconds: float = 0.0  # waited for other benchit processes' measurements on this machine
    versions: dict = field(default_factory=dict)
    timestamp: str = ""

    @property
    def key(self) -> str:
        return f"{self.device}/{self.runtime}"


# ------------------------------------------------------------------------------------------ a script's models
@dataclass
class InvocationRecord:
    """One input signature of one model: found, then (maybe) built and benchmarked."""

    index: int  # 1 for the first signature the script used with this model
    invocation_id: str  # <hash>_<n>: a hash filter item
    build_name: str  # the model's folder in the cache: <script>_<hash>[_<n>]
    inputs: dict  # name -> {shape, dtype} or a plain value
    calls: int
    seconds: float  # time spent inside the model's calls during the script
    status: Status = Status.ANALYZED
    message: str = ""  # why it failed, or a note for the status line
    build_config: str = ""  # the build config's folder inside the model's: <sequence>-<key>
    sequence: str = ""
    from_cache: bool = False
    build_seconds: Optional[float] = None
    rebuild_reason: Optional[str] = None
    stages_completed: list[str] = field(default_factory=list)
    failed_stage: str = ""
    log: str = ""  # the log of the failed stage
    warnings: list[str] = field(default_factory=list)
    validation: dict[str, Validation] = field(default_factory=dict)  # per model-writing stage
    benchmark: Optional[Benchmark] = None

    @property
    def selected(self) -> bool:
        return self.status not in (Status.ANALYZED, Status.NOT_SELECTED)


@dataclass
class ModelRecord:
    """A model the script called (depth 0) or a sub-module called inside one (depth >= 1)."""

    name: str
    framework: str  # pytorch | keras
    model_type: str
    class_name: str
    class_path: str
    location: Optional[list] = None  # [file, line] where the script created it
    location_note: str = ""
    params: int = 0
    param_bytes: int = 0
    hash: str = ""
    depth: int = 0
    parent: Optional[str] = None
    signatures: int = 1  # how many input signatures this model's hash has in the script
    invocations: list[InvocationRecord] = field(default_factory=list)


@dataclass
class ScriptEnd:
    """How the user's script ended: ok, raised (an exception) or exited (sys.exit with a non-zero code)."""

    status: str = "ok"
    message: str = ""
    location: str = ""  # "file, line N" in the script
    traceback: str = ""

    @property
    def failed(self) -> bool:
        return self.status != "ok"


@dataclass
class ScriptRecord:
    """One script: what the worker found and did (result.json), then how its process ended (the runner)."""

    script: str
    phase: str = "running"  # the worker's progress: running | done | crashed
    models: list[ModelRecord] = field(default_factory=list)
    script_end: Optional[ScriptEnd] = None
    error: str = ""  # the worker's own error: a hash filter that matches nothing, a crash
    traceback: str = ""
    unmatched_hashes: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    # Set by the runner once the child has ended:
    status: Status = Status.NOT_REACHED
    message: str = ""
    stdout_path: str = ""
    stderr_path: str = ""

    def invocations(self):
        for model in self.models:
            for invocation in model.invocations:
                yield model, invocation


@dataclass
class JobRecord:
    """One benchit job (a run, or one job of a sweep): results.json in its output folder."""

    status: Status
    summary: str = ""
    error: str = ""  # a job that could not start: its one line
    config: dict = field(default_factory=dict)
    scripts: list[ScriptRecord] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ the cache
@dataclass
class BuildRequest:
    """What a build config was asked to build (state.yaml's `config`: the tutorial's `cache stats` shows it)."""

    build_name: str = ""
    config_id: str = ""
    build_key: str = ""
    sequence_name: str = ""
    sequence: list[str] = field(default_factory=list)  # stage names: export_pytorch, optimize_onnx, ...
    batch_size: Optional[int] = None
    strict: bool = False
    script: str = ""
    model_name: str = ""
    model_class: str = ""
    model_type: str = ""
    framework: str = ""
    model_hash: str = ""
    params: int = 0
    invocation: int = 1
    inputs: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    # What the key hashes: the model and its inputs, the batch, each stage's class and parameters, the versions.
    key_parts: dict = field(default_factory=dict)


@dataclass
class BuildState:
    """A build config's state file: status, what was asked, stage timings, artifacts, versions."""

    build_status: BuildStatus = BuildStatus.NOT_STARTED
    build_name: str = ""
    config_id: str = ""
    cache_dir: str = ""
    state_version: int = 2
    config: BuildRequest = field(default_factory=BuildRequest)
    sequence: list[str] = field(default_factory=list)
    rebuild_reason: Optional[str] = None
    current_stage: Optional[str] = None
    completed_stages: list[str] = field(default_factory=list)
    failed_stage: Optional[str] = None
    error: Optional[str] = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    build_seconds: Optional[float] = None
    validation: dict[str, Validation] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # what the stages recorded: opset, exporter, fallbacks, fp16 notes
    onnx_file: Optional[str] = None
    onnx_inputs: dict = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    artifact_bytes: dict[str, int] = field(default_factory=dict)
    artifact_sha256: dict[str, str] = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    lean: bool = False
    lean_deleted: list[str] = field(default_factory=list)
    timestamp: str = ""


@dataclass
class BuildStats:
    """A build config's results: one Benchmark per device/runtime."""

    benchmarks: dict[str, Benchmark] = field(default_factory=dict)
