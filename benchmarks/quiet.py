"""Quiet measurements: what two benchit runs at once on one machine do to each other's numbers.

    python benchmarks/run.py quiet

The mid-size encoder of the fidelity benchmark (a few ms per call), built once. Then, on the warm cache:
- one run alone: the reference median;
- two runs started together with `device.measurement.exclusive=false`: both measure at once;
- two runs started together with the default (`exclusive=true`): the second waits for the first.
Each pair's figure is the mean of its two medians over the reference: the median of three solo runs before
the pairs and three after. Goal, a ratio to the solo runs of the same minutes: the quiet pair said it waited, and
its slower median over the slowest solo run is at most 1.05. ONNX Runtime's default threads (one per core), as a user would run it: on a shared
2-core machine a solo run reads about 2.6 or 3.5 ms depending on the minute, so the solo runs' own spread is
printed beside it, and the detail line on stderr gives every median.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from fidelity import MID_SCRIPT
from harness import QUICK, Row, benchit_argv, temp_dir

SOLO = 1 if QUICK else 3  # solo runs before the pairs, and again after: the reference is their median
MEASURE = ["sequence=export_only", f"device.measurement.min_seconds={0.5 if QUICK else 3}",
           "device.measurement.warmup_seconds=0.5"]
QUIET_GOAL = 1.05  # the quiet pair's slower median / the slowest solo median


def _start(script: Path, cache: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(benchit_argv(f"input.script={script}", *MEASURE, *extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "BENCHIT_CACHE_DIR": str(cache)})


def _median(proc: subprocess.Popen) -> tuple[float, bool]:
    """The run's median (ms), read from its results.json, and whether it said it waited for the other run."""
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"benchit failed: {out[-2000:]}{err[-2000:]}")
    folder = re.findall(r"^Results: (\S.*)$", out, re.M)[-1]
    results = json.loads((Path(folder) / "results.json").read_text())
    (entry,) = [inv["benchmark"] for s in results["scripts"] for m in s["models"] for inv in m["invocations"]
                if inv.get("benchmark")]
    return float(entry["latency"]["median_ms"]), "waiting for another benchit process" in err


def _pair(script: Path, cache: Path, *extra: str) -> tuple[list[float], bool]:
    runs = [_start(script, cache, *extra) for _ in range(2)]
    results = [_median(run) for run in runs]
    return [median for median, _ in results], any(waited for _, waited in results)


def rows() -> list[Row]:
    work = temp_dir("quiet")
    try:
        script = work / "fidelity_encoder.py"
        script.write_text(MID_SCRIPT)
        cache = work / "cache"
        _median(_start(script, cache, "device.measurement.min_seconds=0.5"))  # build once, untimed
        solo = [_median(_start(script, cache))[0] for _ in range(SOLO)]
        noisy, noisy_waited = _pair(script, cache, "device.measurement.exclusive=false")
        quiet, quiet_waited = _pair(script, cache)
        solo += [_median(_start(script, cache))[0] for _ in range(SOLO)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reference = statistics.median(solo)
    noisy_ratio, quiet_ratio = statistics.mean(noisy) / reference, statistics.mean(quiet) / reference
    print(f"quiet: solo medians {', '.join(f'{x:.3f}' for x in solo)} ms; exclusive=false pair "
          f"{noisy[0]:.3f}, {noisy[1]:.3f} ms (waited: {noisy_waited}); exclusive=true pair {quiet[0]:.3f}, "
          f"{quiet[1]:.3f} ms (waited: {quiet_waited}); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} "
          "CPUs", file=sys.stderr)
    return [
        Row("two runs at once, exclusive=false: mean median / solo median", noisy_ratio, "x", None, "",
            "(information)", None),
        Row("solo runs: slowest median / median of the solo medians", max(solo) / reference, "x", None, "",
            "(the machine's own spread)", None),
        Row("two runs at once, exclusive=true (default): mean median / solo median", quiet_ratio, "x", None, "",
            "(information)", None),
        Row("two runs at once, exclusive=true: slower median / slowest solo median (and it waited)",
            max(quiet) / max(solo), "x", None, "", f"<= {QUIET_GOAL:g}x, waited",
            quiet_waited and max(quiet) <= QUIET_GOAL * max(solo)),
    ]
