"""The tutorial's model tree, built from a worker's result file."""

from __future__ import annotations

from typing import Any


def _size(params: int, bytes_per_param: int = 4) -> str:
    megabytes = params * bytes_per_param / 1e6
    return "<0.1 MB" if megabytes < 0.1 else f"{megabytes:.1f} MB"


def format_latency(ms: float) -> str:
    """Enough digits that a fast model never reads as 0.000 ms."""
    if ms >= 1:
        return f"{ms:.3f}"
    return f"{ms:.3g}" if ms >= 0.001 else f"{ms:.2e}"


def _shape_text(inputs: dict[str, Any]) -> str:
    parts = []
    for name, desc in inputs.items():
        if isinstance(desc, dict) and "shape" in desc:
            parts.append(f"'{name}': {tuple(desc['shape'])}")
        else:
            parts.append(f"'{name}': {desc!r}")
    return ", ".join(parts) or "(none)"


def format_model(model: dict[str, Any], mode: str) -> list[str]:
    indent = "\t" * (1 + 2 * model["depth"])
    lines = []
    for inv in model["invocations"]:
        n = len(model["invocations"])
        executed = f"executed {inv['calls']}x"
        if mode == "analyze":
            executed += f" - {inv['seconds']:.2f}s"
        title = model["name"] if n == 1 else f"{model['name']} (invocation {inv['index']} of {n})"
        lines.append(f"{indent}{title} ({executed})")
        f = indent + "\t"
        lines.append(f"{f}Model Type:\t{model['model_type']}")
        lines.append(f"{f}Class:\t\t{model['class_name']} ({model['class_path']})")
        if model["location"] and model["depth"] == 0:
            lines.append(f"{f}Location:\t{model['location'][0]}, line {model['location'][1]}")
        lines.append(f"{f}Parameters:\t{model['params']:,} ({_size(model['params'])})")
        lines.append(f"{f}Input Shape:\t{_shape_text(inv['inputs'])}")
        lines.append(f"{f}Hash:\t\t{model['hash']}" + (f" (build {inv['build_name']})" if n > 1 else ""))
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
            + (" (from cache)" if inv.get("from_cache") else ""),
            f"\t\tMean Latency:\t{format_latency(bench['mean_ms'])}\tmilliseconds (ms)",
            f"\t\tThroughput:\t{bench['throughput_ips']:.1f}\tinferences per second (IPS)",
        ]
        if bench.get("unstable"):
            lines.append(f"\t\tWarning:\tunstable measurement (CV {bench['cv']:.0%}): "
                         "close other programs or raise device.measurement.min_seconds")
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
