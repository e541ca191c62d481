"""The tutorial's model tree, printed from a script's record."""

from __future__ import annotations

from typing import Any

from benchit.records import Benchmark, InvocationRecord, ModelRecord, ScriptRecord, Status


def _size(params: int, size_bytes: int | None = None) -> str:
    megabytes = (size_bytes if size_bytes else params * 4) / 1e6
    return "<0.1 MB" if megabytes < 0.1 else f"{megabytes:.1f} MB"


def format_latency(ms: float) -> str:
    """Enough digits that a fast model never reads as 0.000 ms."""
    if ms >= 1:
        return f"{ms:.3f}"
    return f"{ms:.3g}" if ms >= 0.001 else f"{ms:.2e}"


def _shape_text(inputs: dict[str, Any]) -> str:
    return ", ".join(f"'{name}': {_value_text(desc)}" for name, desc in inputs.items()) or "(none)"


def _value_text(desc: Any) -> str:
    if isinstance(desc, dict) and "shape" in desc and "dtype" in desc:
        text = str(tuple(desc["shape"]))
        return text if desc["dtype"] in ("float32", "<dtype: 'float32'>") else f"{text} {desc['dtype']}"
    if isinstance(desc, list):
        return "[" + ", ".join(_value_text(d) for d in desc) + "]"
    if isinstance(desc, dict):
        return "{" + ", ".join(f"'{k}': {_value_text(v)}" for k, v in desc.items()) + "}"
    return repr(desc)


def format_model(model: ModelRecord, mode: str) -> list[str]:
    """One block per input signature: the tutorial's fields, then the build's status."""
    indent = "\t" * (1 + 2 * model.depth)
    lines = []
    several = model.signatures > 1
    for inv in model.invocations:
        executed = f"executed {inv.calls}x"
        if mode == "analyze":
            executed += f" - {inv.seconds:.2f}s"
        lines.append(f"{indent}{model.name} ({executed})")
        f = indent + "\t"
        lines.append(f"{f}Model Type:\t{model.model_type}")
        lines.append(f"{f}Class:\t\t{model.class_name} ({model.class_path})")
        if model.location and model.depth == 0:
            note = f" ({model.location_note})" if model.location_note else ""
            lines.append(f"{f}Location:\t{model.location[0]}, line {model.location[1]}{note}")
        lines.append(f"{f}Parameters:\t{model.params:,} ({_size(model.params, model.param_bytes)})")
        lines.append(f"{f}Input Shape:\t{_shape_text(inv.inputs)}")
        lines.append(f"{f}Hash:\t\t{model.hash}")
        if several:
            lines.append(f"{f}Invocation:\t{inv.invocation_id} (build {inv.build_name})")
        lines.extend(f"{f}{line}" for line in status_lines(inv, mode))
        lines.append("")
    return lines


def benchmark_lines(bench: Benchmark, from_cache: bool) -> list[str]:
    lines = [f"Status:\t\tModel successfully benchmarked on {bench.device_name}"
             + (" (build reused from cache)" if from_cache else ""),
             f"\t\tMean Latency:\t{format_latency(bench.latency.mean_ms)}\tmilliseconds (ms)",
             f"\t\tThroughput:\t{bench.throughput_ips:.1f}\tinferences per second (IPS)"]
    if bench.batch_size and bench.batch_size > 1 and bench.samples_per_second:
        lines.append(f"\t\t\t\t{bench.samples_per_second:.1f}\tsamples per second (batch of {bench.batch_size})")
    memory = bench.memory
    if memory is not None and memory.peak_rss_mb is not None:
        gpu = f"; GPU {memory.device_memory_mb:.1f} MB" if memory.device_memory_mb is not None else ""
        lines.append(f"\t\tMemory:\t\t{memory.peak_rss_mb:.1f} MB (peak RSS while loading and running; "
                     f"{memory.peak_rss_total_mb:.0f} MB in all){gpu}")
    if bench.unstable:
        lines.append(f"\t\tWarning:\tunstable measurement ({bench.unstable_reason}; median "
                     f"{format_latency(bench.latency.median_ms)} ms): close other programs or raise "
                     "device.measurement.min_seconds")
    for note in bench.notes:
        lines.append(f"\t\tNote:\t\t{note}")
    if bench.validation is not None and bench.validation.note:
        lines.append(f"\t\tNote:\t\t{bench.validation.note}")
    return lines


def status_lines(inv: InvocationRecord, mode: str) -> list[str]:
    if not inv.selected or mode == "analyze":
        return []
    if inv.status is Status.FAILED:
        return [f"Status:\t\t{inv.message or 'failed'}"]
    lines = []
    if inv.status is Status.BENCHMARKED and inv.benchmark is not None:
        lines += benchmark_lines(inv.benchmark, inv.from_cache)
    elif inv.status is Status.BUILT:
        lines.append("Status:\t\tModel successfully built!" + (" (from cache)" if inv.from_cache else ""))
    elif inv.status is Status.NOT_REACHED:
        lines.append("Status:\t\tNot built: the run ended before this model was reached")
    for warning in inv.warnings:
        lines.append(f"\t\tWarning:\t{warning}")
    notes = {check.note for check in inv.validation.values() if check.note}
    if inv.benchmark is None or inv.benchmark.validation is None or not inv.benchmark.validation.note:
        lines.extend(f"\t\tNote:\t\t{note}" for note in sorted(notes))
    return lines


def format_script(record: ScriptRecord, mode: str) -> list[str]:
    """The block for one script: its name, then every model (sub-modules indented)."""
    lines = [f"{record.script.rsplit('/', 1)[-1]}:"]
    for model in record.models:
        lines.extend(format_model(model, mode))
    return lines
