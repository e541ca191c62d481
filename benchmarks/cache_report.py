"""`benchit cache list` and `benchit report` on a cache of 1,000 builds.

    python benchmarks/run.py cache_report

The builds are copies of real ones: one real run of hello_world (built and benchmarked) and of a model no
exporter can export (a failed build) makes the templates; each copy gets its own name and model hash, and
keeps every other file and key exactly as benchit wrote it. So the report parses what it parses in real life,
whatever benchit's state and stats hold today. Every 25th build is a failed one.

Goals are ratios to `benchit version` (the start-up every command pays), measured in the same run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from harness import EXAMPLES, QUICK, Row, benchit_argv, temp_dir, time_command

LIST_GOAL, REPORT_GOAL = 3.0, 12.0  # x `benchit version`
UNEXPORTABLE = """import torch


class Unexportable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.linalg.svdvals(self.fc(x))  # no ONNX operator for it: every exporter refuses


Unexportable()(torch.ones(3, 4))
"""
MEASURE = ["sequence=export_only", "device.measurement.min_seconds=0.05", "device.measurement.min_iterations=10",
           "device.measurement.warmup_seconds=0.01"]


def _templates(work: Path) -> dict[str, Path]:
    """{"good": a benchmarked build, "failed": a failed build}, made by one real benchit run."""
    cache = work / "templates"
    script = work / "unexportable.py"
    script.write_text(UNEXPORTABLE)
    scripts = f"input.scripts=['{EXAMPLES / 'hello_world.py'}','{script}']"
    proc = subprocess.run(benchit_argv("input.script=null", scripts, *MEASURE), capture_output=True, text=True,
                          env={**os.environ, "BENCHIT_CACHE_DIR": str(cache)})
    if proc.returncode != 1 or "export_pytorch failed" not in proc.stdout:
        raise RuntimeError(f"the template run did not end as expected:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    builds = {p.name: p for p in cache.iterdir() if p.is_dir() and p.name not in ("runs", "sweeps", ".locks")}
    (good,) = [p for n, p in builds.items() if n.startswith("hello_world_")]
    (failed,) = [p for n, p in builds.items() if n.startswith("unexportable_")]
    return {"good": good, "failed": failed}


def _model_hash(build: Path) -> str:
    state = next(build.glob("*_state.yaml"))
    return str(yaml.safe_load(state.read_text())["config"]["model_hash"])


def clone_build(template: Path, cache: Path, name: str, model_hash: str) -> Path:
    """A copy of the build `template` named `name` (files and keys that hold its name renamed, its model hash
    replaced); every other byte as benchit wrote it."""
    old_name, old_hash = template.name, _model_hash(template)
    target = cache / name
    for path in sorted(template.rglob("*")):
        relative = Path(*[part.replace(old_name, name) for part in path.relative_to(template).parts])
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".yaml", ".txt"):
            text = path.read_text(errors="replace").replace(old_name, name).replace(old_hash, model_hash)
            destination.write_text(text)
        else:
            shutil.copyfile(path, destination)
    return target


def make_cache(cache: Path, n_builds: int, templates: dict[str, Path], failed_every: int = 25) -> list[str]:
    cache.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n_builds):
        model_hash = f"{(i + 1) * 2654435761 % 2**32:08x}"
        failed = failed_every and i % failed_every == failed_every - 1
        name = f"model{i:04d}_{model_hash}"
        clone_build(templates["failed" if failed else "good"], cache, name, model_hash)
        names.append(name)
    return names


def rows() -> list[Row]:
    folder = temp_dir("cache1000")
    n = 100 if QUICK else 1000
    try:
        cache = folder / "cache"
        make_cache(cache, n, _templates(folder))
        env = {"BENCHIT_CACHE_DIR": str(cache)}
        repeat = 1 if QUICK else 3
        startup = time_command(benchit_argv("version"), repeat=repeat, env=env)
        listing = time_command(benchit_argv("cache", "list"), repeat=repeat + 2, env=env)
        report = time_command(benchit_argv("report", "-o", str(folder / "report.csv")), repeat=repeat, env=env)
        plot = time_command(benchit_argv("report", "-o", str(folder / "plot.csv"), "--plot"), repeat=1, env=env)
        return [
            Row(f"cache list, {n:,} builds", listing, "s", startup, "benchit version", f"<= {LIST_GOAL:g}x",
                listing <= LIST_GOAL * startup),
            Row(f"report, {n:,} builds", report, "s", startup, "benchit version", f"<= {REPORT_GOAL:g}x",
                report <= REPORT_GOAL * startup),
            Row(f"report --plot, {n:,} builds", plot, "s", report, "report", ""),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
