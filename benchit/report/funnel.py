"""The success funnel of a corpus: scripts -> models -> exported -> optimized -> fp16 -> benchmarked, and the
failures grouped by root cause (one line per cause: its count, an example build, its log)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_LOG = re.compile(r"\s*\(log: ([^)]*)\)")
_PATHS = re.compile(r"(/[^\s:'\"()]+)+")
_NUMBERS = re.compile(r"\b0x[0-9a-f]+\b|\b\d+(\.\d+)?\b")


@dataclass
class Funnel:
    steps: list[tuple[str, int]] = field(default_factory=list)
    causes: list[tuple[str, int, str, str]] = field(default_factory=list)  # cause, count, example build, log


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def cause_of(row: dict[str, Any]) -> tuple[str, str]:
    """(the failure's cause with paths and numbers generalized, the log path)."""
    error = str(row.get("error") or row.get("status") or "unknown")
    log = _LOG.search(error)
    text = _LOG.sub("", error)
    text = _NUMBERS.sub("N", _PATHS.sub("PATH", text))
    stage = row.get("failed_stage") or ""
    if stage and not text.startswith(stage):
        text = f"{stage}: {text}"
    return text.strip(), (log.group(1) if log else "")


def funnel(rows: list[dict[str, Any]]) -> Funnel:
    """From report rows (a cache's or a sweep's): one count per step, every model counted once."""
    models: dict[str, dict[str, bool]] = {}
    scripts = set()
    for row in rows:
        if row.get("script"):
            scripts.add(row["script"])
        name = row.get("build_name") or ""
        if not name:
            continue
        reached = models.setdefault(name, {"exported": False, "optimized": False, "fp16": False,
                                           "benchmarked": False})
        reached["exported"] |= _true(row.get("onnx_exported")) or row.get("status") == "benchmarked"
        reached["optimized"] |= _true(row.get("onnx_optimized"))
        reached["fp16"] |= str(row.get("fp16") or "") == "converted"
        reached["benchmarked"] |= row.get("status") == "benchmarked"
    result = Funnel(steps=[("scripts", len(scripts)), ("models", len(models))] +
                    [(step, sum(1 for m in models.values() if m[step]))
                     for step in ("exported", "optimized", "fp16", "benchmarked")])
    groups: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("status") in ("failed", "broken", "timed out", "killed", "interrupted", "cancelled"):
            groups.setdefault(cause_of(row)[0], []).append(row)
    for cause, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        example = members[0]
        result.causes.append((cause, len(members), str(example.get("build_name") or example.get("script") or ""),
                              cause_of(example)[1]))
    return result


def funnel_lines(result: Funnel) -> list[str]:
    top = result.steps[1][1] if len(result.steps) > 1 else 0
    lines = ["Funnel (each step counts models; percentages of the models found):"]
    for step, count in result.steps:
        share = f"{count / top:6.1%}" if top and step != "scripts" else ""
        lines.append(f"  {step:<12}{count:>6}  {share}")
    if result.causes:
        lines.append(f"Failures by cause ({sum(n for _, n, _, _ in result.causes)} rows, {len(result.causes)} causes):")
        for cause, count, example, log in result.causes:
            where = f"; log: {log}" if log else ""
            lines.append(f"  {count:>4}  {cause[:160]}  (e.g. {example}{where})")
    return lines


def funnel_markdown(result: Funnel) -> str:
    top = result.steps[1][1] if len(result.steps) > 1 else 0
    lines = ["| step | count | share |", "|---|---:|---:|"]
    lines += [f"| {step} | {count} | {'' if step == 'scripts' or not top else f'{count / top:.0%}'} |"
              for step, count in result.steps]
    if result.causes:
        lines += ["", "| failures | cause | example | log |", "|---:|---|---|---|"]
        lines += [f"| {count} | {cause.replace('|', '/')} | {example} | {log} |"
                  for cause, count, example, log in result.causes]
    return "\n".join(lines) + "\n"
