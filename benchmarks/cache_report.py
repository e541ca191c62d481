"""`benchit cache list` and `benchit report` on caches of 1,000, 10,000 and 100,000 builds (issue 13 §5).

    python benchmarks/run.py cache_report

The builds are copies of real ones: one real run of hello_world (built and benchmarked) and of a model no
exporter can export (a failed build) makes the templates, in today's layout (<cache>/<model>/<config>/
state.yaml, stats.yaml, logs, onnx/, inputs.npz: benchit/cache/layout.py). Each copy is a model folder of its own
name and model hash; its YAML and log files are the template's with the name and hash replaced (written
directly), its model files and inputs hard links to the template's (same bytes, same sizes: the report's
damage check stats them), so the report parses what it parses in real life, whatever benchit's state and stats
hold today. Every 25th build is a failed one. One cache grows from 1,000 to 10,000 to 100,000 builds.

At each size: `cache list`; the first `report` (no index: it reads every build's YAML and builds
<cache>/.index.sqlite); then `report` with the index kept (what every later report costs).
Figures are medians of 3 runs (1 for a first report above 1,000 builds). Goals: at 1,000 builds ratios to
`benchit version` (the start-up every command pays), measured in the same run; at 10,000 and 100,000 the
issue's absolute goals (cache list < 0.5 s and report < 2 s at 10,000, report < 10 s at 100,000), each row with
its ratio to `benchit version` beside. BENCHIT_BENCH_QUICK=1: 1,000 builds only, one run each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from harness import EXAMPLES, QUICK, Row, benchit_argv, temp_dir, time_command

LIST_GOAL, REPORT_GOAL = 3.0, 12.0  # x `benchit version`, at 1,000 builds
ABSOLUTE_GOALS = {  # issue 13 §5: (figure, builds) -> seconds
    ("cache list", 10_000): 0.5,
    ("report", 10_000): 2.0,
    ("report", 100_000): 10.0,
}
SIZES = [1_000] if QUICK else [1_000, 10_000, 100_000]
TEXT_SUFFIXES = (".yaml", ".txt", ".json", ".md")
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
    """{"good": a benchmarked model's folder, "failed": a failed build's}, made by one real benchit run."""
    cache = work / "templates"
    script = work / "unexportable.py"
    script.write_text(UNEXPORTABLE)
    scripts = f"input.scripts=['{EXAMPLES / 'hello_world.py'}','{script}']"
    proc = subprocess.run(benchit_argv("input.script=null", scripts, *MEASURE), capture_output=True, text=True,
                          env={**os.environ, "BENCHIT_CACHE_DIR": str(cache),
                               "BENCHIT_MACHINE_LOCK": str(work / "machine.lock")})
    if proc.returncode != 1 or "export_pytorch failed" not in proc.stdout:
        raise RuntimeError(f"the template run did not end as expected:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    models = {p.name: p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")
              and p.name not in ("runs", "sweeps", "reports")}
    (good,) = [p for n, p in models.items() if n.startswith("hello_world_")]
    (failed,) = [p for n, p in models.items() if n.startswith("unexportable_")]
    for model in (good, failed):
        if not list(model.glob("*/state.yaml")):
            raise RuntimeError(f"{model} holds no <config>/state.yaml: the layout is not the one this benchmark copies")
    return {"good": good, "failed": failed}


def _model_hash(model_dir: Path) -> str:
    state = next(model_dir.glob("*/state.yaml"))
    return str(yaml.safe_load(state.read_text())["config"]["model_hash"])


class Template:
    """A model folder read once: its folders, its text files (to be renamed) and its other files (to be linked)."""

    def __init__(self, model_dir: Path):
        self.dir, self.name, self.hash = model_dir, model_dir.name, _model_hash(model_dir)
        self.folders, self.texts, self.binaries = [], [], []
        for path in sorted(model_dir.rglob("*")):
            relative = path.relative_to(model_dir)
            if path.is_dir():
                self.folders.append(str(relative))
            elif path.suffix in TEXT_SUFFIXES:
                self.texts.append((str(relative), path.read_text(errors="replace")))
            else:
                self.binaries.append((str(relative), path))

    def clone(self, cache: Path, name: str, model_hash: str) -> Path:
        """A copy named `name` (paths and text holding the template's name renamed, its model hash replaced)."""
        target = cache / name
        target.mkdir()
        for folder in self.folders:
            (target / folder.replace(self.name, name)).mkdir()
        for relative, text in self.texts:
            with open(target / relative.replace(self.name, name), "w") as out:
                out.write(text.replace(self.name, name).replace(self.hash, model_hash))
        for relative, source in self.binaries:
            destination = target / relative.replace(self.name, name)
            try:
                os.link(source, destination)
            except OSError:  # another file system, or no hard links: a copy, same bytes
                shutil.copyfile(source, destination)
        return target


def clone_build(template: Path, cache: Path, name: str, model_hash: str) -> Path:
    """A copy of the model folder `template` named `name` (see Template.clone)."""
    return Template(template).clone(cache, name, model_hash)


def make_cache(cache: Path, n_builds: int, templates: dict[str, Path], failed_every: int = 25,
               start: int = 0) -> list[str]:
    """Builds `start`..`n_builds - 1` of the synthetic cache (so a cache can grow in steps)."""
    cache.mkdir(parents=True, exist_ok=True)
    loaded = {kind: Template(path) for kind, path in templates.items()}
    names = []
    for i in range(start, n_builds):
        # "f" + 7 hex digits of a bijection of i (mod 2**28): all distinct, and never all decimal digits (the
        # template's state holds the hash unquoted; 12345678 would read back as a number, a broken build)
        model_hash = f"f{(i + 1) * 2654435761 % 2**28:07x}"
        failed = failed_every and i % failed_every == failed_every - 1
        name = f"model{i:06d}_{model_hash}"
        loaded["failed" if failed else "good"].clone(cache, name, model_hash)
        names.append(name)
    return names


def _remove_index(cache: Path) -> None:
    for stale in cache.glob(".index.sqlite*"):
        stale.unlink()


def _goal(figure: str, n: int, value: float, startup: float, ratio_goal: float | None) -> tuple[str, bool | None]:
    if (figure, n) in ABSOLUTE_GOALS:
        limit = ABSOLUTE_GOALS[(figure, n)]
        return f"< {limit:g} s (issue 13)", value < limit
    if ratio_goal is not None and n == 1_000:
        return f"<= {ratio_goal:g}x", value <= ratio_goal * startup
    return "", None


def rows() -> list[Row]:
    folder = temp_dir("cache-report")
    repeat = 1 if QUICK else 3
    table = []
    loads = [os.getloadavg()[0]]
    try:
        cache = folder / "cache"
        templates = _templates(folder)
        env = {"BENCHIT_CACHE_DIR": str(cache)}
        made = 0
        for n in SIZES:
            start = time.perf_counter()
            make_cache(cache, n, templates, start=made)
            made = n
            print(f"cache_report: {n:,} builds made ({time.perf_counter() - start:.0f} s)", file=sys.stderr,
                  flush=True)
            startup = time_command(benchit_argv("version"), repeat=repeat, env=env)
            listing = time_command(benchit_argv("cache", "list"), repeat=repeat + 2 if n <= 10_000 else repeat,
                                   env=env)
            out = str(folder / "report.csv")
            first = time_command(benchit_argv("report", "-o", out), repeat=repeat if n <= 1_000 else 1, env=env,
                                 setup=lambda: _remove_index(cache))
            report = time_command(benchit_argv("report", "-o", out), repeat=repeat, env=env)
            loads.append(os.getloadavg()[0])
            print(f"cache_report: {n:,} builds: version {startup:.2f} s, cache list {listing:.2f} s, first report "
                  f"{first:.2f} s, report {report:.2f} s", file=sys.stderr, flush=True)
            goal, ok = _goal("cache list", n, listing, startup, LIST_GOAL)
            table.append(Row(f"cache list, {n:,} builds", listing, "s", startup, "benchit version", goal, ok))
            table.append(Row(f"report, first (builds the index), {n:,} builds", first, "s", startup,
                             "benchit version", "", None))
            goal, ok = _goal("report", n, report, startup, REPORT_GOAL)
            table.append(Row(f"report (index kept), {n:,} builds", report, "s", startup, "benchit version", goal, ok))
            if n == SIZES[0]:
                plot = time_command(benchit_argv("report", "-o", str(folder / "plot.csv"), "--plot"), repeat=1,
                                    env=env)
                table.append(Row(f"report --plot, {n:,} builds", plot, "s", report, "report", ""))
        table.append(Row("1-minute load average during the runs (max)", max(loads), "", None, "", "", None))
        return table
    finally:
        shutil.rmtree(folder, ignore_errors=True)
