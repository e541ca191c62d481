"""A generated corpus of 50 small-model scripts: first run (cold cache) vs second run (warm cache).

    python benchmarks/run.py corpus
    BENCHIT_CORPUS_N=10 python benchmarks/run.py corpus      (a smaller corpus, for a quick look)

The second run reuses every build from the cache (cache.rebuild=if_needed) but still runs each script and
measures each model again; goal: under 40 % of the first run. A third run with resume=true skips every
script already benchmarked with the same config.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from harness import Row, benchit_argv, temp_dir, time_command

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


def rows() -> list[Row]:
    n = int(os.environ.get("BENCHIT_CORPUS_N", "50"))
    base = temp_dir("corpus")
    scripts, cache = base / "scripts", base / "cache"
    write_corpus(scripts, n)
    env = {"BENCHIT_CACHE_DIR": str(cache)}
    argv = benchit_argv("benchmark", "--all", "-s", str(scripts))
    start = time.perf_counter()
    try:
        first = time_command(argv, repeat=1, env=env)
    except Exception:  # some script failed: still time it, but say so
        first = time.perf_counter() - start
    second = time_command(argv, repeat=1, env=env)
    resumed = time_command([*argv, "--resume"], repeat=1, env=env)
    builds = sum(1 for p in cache.iterdir() if p.is_dir() and p.name.startswith("corpus_"))
    shutil.rmtree(base, ignore_errors=True)
    ratio = second / first
    return [
        Row(f"{n} scripts, first run (cold cache, {builds} builds)", first, "s", None, "", "", None),
        Row(f"{n} scripts, second run (warm cache)", second, "s", first, "first run", "< 40 % of first",
            ratio < 0.40),
        Row(f"{n} scripts, third run with --resume", resumed, "s", first, "first run", "", None),
        Row("per script, first run", first / n, "s"),
        Row("per script, second run", second / n, "s"),
    ]
