"""The tutorial's model tree, built from a worker's result file."""

from __future__ import annotations

from typing import Any


def _size(params: int, size_bytes: int | None = None) -> str:
    megabytes = (size_bytes if size_bytes else params * 4) / 1e6
    return "<0.1 MB" if megabytes < 0.1 else f"{megabytes:.1f} MB"


def format_latency(ms: float) -> str:
    """Enough digits that a fast model never reads as 0.000 ms."""
    if ms >= 1:
        return f"{ms:.3f}"
    return f"{ms:.3g}" if ms >= 0.001 else f"{ms:.2e}"


def _shape_text(inputs: dict[str, Any]) -> str:
    parts = []
    for name, desc in inputs.items():
        parts.append(f"'{name}': {_value_text(desc)}")
    return ", ".join(parts) or "(none)"


def _value_text(desc: Any) -> str:
    if isinstance(desc, dict) and "shape" in desc and "dtype" in desc:
        text = str(tuple(desc["shape"]))
        return text if desc["dtype"] in ("float32", "<dtype: 'float32'>") else f"{text} {desc['dtype']}"
    if isinstance(desc, list):
        return "[" + ", ".join(_value_text(d) for d in desc) + "]"
    if isinstance(desc, dict):
        return "{" + ", ".join(f"'{k}': {_value_text(v)}" for k, v in desc.items()) + "}"
    return repr(desc)


def format_model(model: dict[str, Any], mode: str) -> list[str]:
    """One block per input signature: the tutorial's fields, then the build's status."""
    indent = "\t" * (1 + 2 * model["depth"])
    lines = []
    several = model.get("signatures", len(model["invocations"])) > 1
    for inv in model["invocations"]:
        executed = f"executed {inv['calls']}x"
        if mode == "analyze":
            executed += f" - {inv['seconds']:.2f}s"
        lines.append(f"{indent}{model['name']} ({executed})")
        f = indent + "\t"
        lines.append(f"{f}Model Type:\t{model['model_type']}")
        lines.append(f"{f}Class:\t\t{model['class_name']} ({model['class_path']})")
        if model["location"] and model["depth"] == 0:
            note = f" ({model['location_note']})" if model.get("location_note") else ""
            lines.append(f"{f}Location:\t{model['location'][0]}, line {model['location'][1]}{note}")
        lines.append(f"{f}Parameters:\t{model['params']:,} ({_size(model['params'], model.get('param_bytes'))})")
        lines.append(f"{f}Input Shape:\t{_shape_text(inv['inputs'])}")
        lines.append(f"{f}Hash:\t\t{model['hash']}")
        if several:
            lines.append(f"{f}Invocation:\t{inv.get('invocation_id', inv['index'])} (build {inv['build_name']})")
        lines.extend(f"{f}{line}" for line in status_lines(inv, mode))
        lines.append("")
    return lines


def status_lines(inv: dict[str, Any], mode: str) -> list[str]:
    status = inv.get("status")
    if not inv.get("selected") or mode == "analyze":
        return []
    if status == "failed":
        return [f"Status:\t\t{inv.get('message', 'failed')}"]
    lines = []
    if status == "benchmarked":
        bench = inv["benchmark"]
        lines += [
            f"Status:\t\tModel successfully benchmarked on {bench['device_name']}"
            + (" (build reused from cache)" if inv.get("from_cache") else ""),
            f"\t\tMean Latency:\t{format_latency(bench['mean_ms'])}\tmilliseconds (ms)",
            f"\t\tThroughput:\t{bench['throughput_ips']:.1f}\tinferences per second (IPS)",
        ]
        if bench.get("unstable"):
            spread = bench.get("robust_cv", bench["cv"])
            drift = abs(bench["mean_ms"] - bench["median_ms"]) / bench["median_ms"] if bench.get("median_ms") else 0
            lines.append(f"\t\tWarning:\tunstable measurement (spread {spread:.0%}, mean {drift:.0%} off the "
                         f"median {format_latency(bench['median_ms'])} ms): close other programs or raise "
                         "device.measurement.min_seconds")
    elif status == "built":
        lines.append("Status:\t\tModel successfully built!" + (" (from cache)" if inv.get("from_cache") else ""))
    elif status in ("analyzed", "running"):
        lines.append("Status:\t\tNot built: the run ended before this model was reached")
    for warning in inv.get("warnings") or []:
        lines.append(f"\t\tWarning:\t{warning}")
    return lines


def format_script(result: dict[str, Any], mode: str) -> list[str]:
    """The block for one script: its name, then every model (sub-modules indented)."""
    name = result["script"].rsplit("/", 1)[-1]
    lines = [f"{name}:"]
    for model in result.get("models", []):
        lines.extend(format_model(model, mode))
    return lines
