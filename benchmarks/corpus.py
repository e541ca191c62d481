"""A generated corpus of 50 small-model scripts: first run (cold cache) vs second run (warm cache).

    python benchmarks/run.py corpus
    BENCHIT_CORPUS_N=10 python benchmarks/run.py corpus      (a smaller corpus, for a quick look)
    BENCHIT_CORPUS_REPEAT=3 python benchmarks/run.py corpus  (more repetitions; default 2)

The second run reuses every build from the cache (cache.rebuild=if_needed) but still runs each script and
measures each model again; goal: under 40 % of the first run, as the median over the repetitions (each a fresh
cache) of second / first. A third run with resume=true skips every script already benchmarked with the same
config. A run that fails (any script of the corpus failing) is reported, with its exit code and the end of its
output, and kept out of the figures: a failed first run is not a fast one.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import QUICK, Row, benchit_argv, temp_dir

TEMPLATES = [
    # (body, description) -- every script builds a differently sized model, so every hash differs
    ("model = torch.nn.Linear({a}, {b})\nx = torch.randn(1, {a})", "Linear"),
    ("model = torch.nn.Sequential(torch.nn.Linear({a}, {b}), torch.nn.ReLU(), torch.nn.Linear({b}, 4))\n"
     "x = torch.randn(2, {a})", "MLP"),
    ("model = torch.nn.Sequential(torch.nn.Conv1d(3, {b}, 3), torch.nn.ReLU(), torch.nn.Flatten())\n"
     "x = torch.randn(1, 3, {a})", "Conv1d"),
    ("model = torch.nn.Sequential(torch.nn.LayerNorm({a}), torch.nn.Linear({a}, {b}), torch.nn.GELU())\n"
     "x = torch.randn(4, {a})", "LayerNorm MLP"),
]
GOAL = 0.40  # second run / first run


def write_corpus(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body, kind = TEMPLATES[i % len(TEMPLATES)]
        a, b = 8 + i, 4 + (i * 3) % 29
        text = (f"# labels: name::corpus_{i:02d} author::benchit_corpus task::{kind.replace(' ', '_').lower()}\n"
                f'"""Generated corpus script {i}: a small {kind}."""\n'
                "import torch\n\n"
                "torch.manual_seed(0)\n"
                f"{body.format(a=a, b=b)}\n"
                "with torch.no_grad():\n"
                "    y = model(x)\n"
                "print(tuple(y.shape))\n")
        (folder / f"corpus_{i:02d}.py").write_text(text)


def _timed(argv: list[str], env: dict) -> tuple[float, int, str]:
    """(wall seconds, exit code, the end of the output) of one run."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env})
    return time.perf_counter() - start, proc.returncode, (proc.stdout[-1500:] + proc.stderr[-1500:]).strip()


def rows() -> list[Row]:
    n = int(os.environ.get("BENCHIT_CORPUS_N", "5" if QUICK else "50"))
    repeat = int(os.environ.get("BENCHIT_CORPUS_REPEAT", "1" if QUICK else "2"))
    base = temp_dir("corpus")
    scripts = base / "scripts"
    write_corpus(scripts, n)
    argv = benchit_argv("benchmark", "--all", "-s", str(scripts))
    firsts, seconds, resumed, failures, builds = [], [], [], [], 0
    try:
        for attempt in range(1, repeat + 1):
            cache = base / f"cache{attempt}"
            env = {"BENCHIT_CACHE_DIR": str(cache)}
            runs = {}
            for which, args in (("first", argv), ("second", argv), ("resumed", [*argv, "--resume"])):
                seconds_, code, tail = _timed(args, env)
                runs[which] = seconds_
                if code != 0:
                    failures.append(f"repetition {attempt}, {which} run: exit {code}")
                    print(f"corpus: repetition {attempt}, the {which} run failed (exit {code}):\n{tail}",
                          file=sys.stderr)
                    break
            else:
                firsts.append(runs["first"])
                seconds.append(runs["second"])
                resumed.append(runs["resumed"])
                builds = sum(1 for p in cache.iterdir() if p.is_dir() and p.name.startswith("corpus_"))
            shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table = [Row(f"{n} scripts: failed runs ({repeat} repetitions of first, second, resumed)", len(failures), "runs",
                 None, "", "0" + (f" ({'; '.join(failures)})" if failures else ""), not failures)]
    if not firsts:
        return table
    first, second = statistics.median(firsts), statistics.median(seconds)
    ratio = statistics.median(s / f for s, f in zip(seconds, firsts))
    return table + [
        Row(f"{n} scripts, first run (cold cache, {builds} builds)", first, "s", None, "", "", None),
        Row(f"{n} scripts, second run (warm cache)", second, "s", first, "first run", f"< {GOAL:.0%} of first",
            ratio < GOAL),
        Row(f"{n} scripts, third run with --resume", statistics.median(resumed), "s", first, "first run", "", None),
        Row("per script, first run", first / n, "s"),
        Row("per script, second run", second / n, "s"),
    ]
