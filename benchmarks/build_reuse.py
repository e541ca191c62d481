"""Build reuse: the build phase of a second run of a cached model against its first run.

    python benchmarks/run.py build_reuse

The build phase is what the worker records per model (`build_seconds` in the run's results.json:
lock, reuse check or build, validation). Goal from issue 4: the second run's build phase under 5 %
of the first run's. Also the whole `--build-only` command, first and second run.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from harness import EXAMPLES, REPO, Row, benchit_argv, temp_dir

SCRIPTS = {
    "hello_world": EXAMPLES / "hello_world.py",
    "transformer": REPO / "tests" / "data" / "build" / "scripts" / "transformer.py",
}


def _run(script: Path, cache: Path) -> tuple[float, float]:
    """(wall seconds of `benchit --build-only`, the build phase of its one model)."""
    start = time.perf_counter()
    proc = subprocess.run(benchit_argv("input.script=" + str(script), "mode=build"), capture_output=True,
                          text=True, check=True, env={**__import__("os").environ, "BENCHIT_CACHE_DIR": str(cache)})
    wall = time.perf_counter() - start
    folder = Path(re.search(r"Results: (\S+)", proc.stdout).group(1))
    data = json.loads((folder / "results.json").read_text())
    (record,) = [inv for s in data["scripts"] for m in s["models"] for inv in m["invocations"] if inv.get("selected")]
    return wall, float(record["build_seconds"])


def rows(repeat: int = 3) -> list[Row]:
    table = []
    for name, script in SCRIPTS.items():
        firsts, seconds = [], []
        for _ in range(repeat):
            cache = temp_dir("reuse")
            firsts.append(_run(script, cache))
            seconds.append(_run(script, cache))
            shutil.rmtree(cache, ignore_errors=True)
        first_build = statistics.median(b for _, b in firsts)
        second_build = statistics.median(b for _, b in seconds)
        share = 100 * second_build / first_build
        table += [
            Row(f"{name}: build phase, 1st run", first_build * 1000, "ms"),
            Row(f"{name}: build phase, 2nd run (cached)", second_build * 1000, "ms"),
            Row(f"{name}: 2nd run's build phase / 1st run's", share, "%", None, "", "< 5 %", share < 5),
            Row(f"{name}: --build-only wall, 2nd run", statistics.median(w for w, _ in seconds), "s",
                statistics.median(w for w, _ in firsts), "1st run"),
        ]
    return table
