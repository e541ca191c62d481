"""The whole model zoo through benchit (default sequence), beside the same scripts run with plain python.

Prints the funnel (scripts -> models -> exported -> optimized -> fp16 -> benchmarked) and the failures by
cause, and compares benchit's wall time with the sum of the plain `python` runs measured in the same run:
the cost benchit adds per script (discovery, export, optimization, conversion, validation, measurement).

    python benchmarks/run.py zoo                 (about an hour on the 2-core development machine)
    BENCHIT_BENCH_QUICK=1 python benchmarks/run.py zoo     (three scripts, to show that it runs)
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

from harness import QUICK, REPO, Row, benchit_argv, temp_dir

ZOO = REPO / "examples" / "models"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def rows() -> list[Row]:
    scripts = sorted(p for p in ZOO.glob("*.py") if not p.name.startswith("_"))
    if QUICK:
        scripts = [ZOO / name for name in ("classic_lstm.py", "encoder_bert.py", "keras_sequential_mlp.py")]
    env = {**os.environ, **OFFLINE}
    plain_seconds, plain_failed = 0.0, []
    for script in scripts:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                              cwd=script.parent, timeout=900)
        plain_seconds += time.perf_counter() - start
        if done.returncode != 0:
            plain_failed.append(script.name)
    cache = temp_dir("zoo")
    listed = "[" + ",".join(str(s) for s in scripts) + "]"
    start = time.perf_counter()
    run = subprocess.run(benchit_argv("input.script=null", f"input.scripts={listed}", "timeout=900",
                                      f"cache.dir={cache}"), capture_output=True, text=True, env=env)
    benchit_seconds = time.perf_counter() - start
    report = cache / "zoo.csv"
    funnel = subprocess.run(benchit_argv("report", "--funnel", "-o", str(report), "--cache-dir", str(cache)),
                            capture_output=True, text=True, env=env)
    print(funnel.stdout, file=sys.stderr)
    benchmarked = {r["script"] for r in csv.DictReader(report.open()) if r["status"] == "benchmarked"}
    failing = [s.name for s in scripts if str(s) not in benchmarked and s.name not in plain_failed]
    if failing:
        print(f"zoo: not benchmarked (but fine with plain python): {', '.join(failing)}", file=sys.stderr)
    if plain_failed:
        print(f"zoo: failing with plain python too: {', '.join(plain_failed)}", file=sys.stderr)
    n = len(scripts)
    return [
        Row("zoo scripts benchmarked", float(n - len(failing) - len(plain_failed)), "scripts", baseline=float(n),
            baseline_name="scripts", goal="all", ok=not failing and not plain_failed),
        Row(f"benchit over the zoo ({n} scripts, exit {run.returncode})", benchit_seconds, "s",
            baseline=plain_seconds, baseline_name="sum of plain python runs"),
        Row("benchit's cost per script", (benchit_seconds - plain_seconds) / n, "s"),
    ]
