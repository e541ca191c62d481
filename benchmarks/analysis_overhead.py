"""Discovery's cost: a script calling a small model 10,000 times among ordinary Python work, run
plainly (`python script.py`) and under `benchit --analyze-only`, interleaved in the same run.

The script times itself from its first line (before `import torch`) to its end: that is the
analysis time under benchit (hooks installed at the import, every call counted) and the plain time
under python. What benchit adds around the script (Hydra, the worker process, the results file,
the printed tree) is its fixed start-up, reported apart: benchit's wall time less the script's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from harness import Row, benchit_argv, temp_dir

CALLS = 10_000

SCRIPT = '''import time

script_start = time.perf_counter()
import torch  # noqa: E402

torch.manual_seed(0)


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 16)
        self.act = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


model = Small().eval()
x = torch.rand(1, 16)
loop_start = time.perf_counter()
counts, total = {{}}, 0.0
for i in range({calls}):
    key = f"item{{i % 97}}"  # ordinary Python work between the calls
    counts[key] = counts.get(key, 0) + sum(range(40))
    with torch.no_grad():
        total += float(model(x)[0, 0])
end = time.perf_counter()
print(f"loop_seconds={{end - loop_start:.4f}} script_seconds={{end - script_start:.4f}} total={{total:.3f}}")
'''


def _run(argv, env=None) -> dict[str, float]:
    """Wall seconds, and the loop and script times the script printed."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True)
    wall = time.perf_counter() - start
    found = re.search(r"loop_seconds=([0-9.]+) script_seconds=([0-9.]+)", proc.stdout)
    if not found:
        raise RuntimeError(f"the script printed no timing: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    return {"wall": wall, "loop": float(found.group(1)), "script": float(found.group(2))}


def measure(calls: int = CALLS, repeat: int = 5) -> dict[str, float]:
    folder = temp_dir("analysis")
    env = {"BENCHIT_CACHE_DIR": str(folder / "cache")}
    script = folder / "many_calls.py"
    script.write_text(SCRIPT.format(calls=calls))
    plain, under = [], []
    try:
        for _ in range(repeat):  # interleaved, so a busy moment on the machine hits both sides
            plain.append(_run([sys.executable, str(script)]))
            under.append(_run(benchit_argv(str(script), "--analyze-only"), env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best = {}  # the least disturbed run of each figure (the machine's other work only adds time)
    for prefix, runs in (("plain", plain), ("benchit", under)):
        for key in ("wall", "loop", "script"):
            best[f"{prefix}_{key}"] = min(run[key] for run in runs)
        best[f"{prefix}_startup"] = min(run["wall"] - run["script"] for run in runs)
    return best


def rows() -> list[Row]:
    m = measure()
    ratio = m["benchit_script"] / m["plain_script"]
    loop_ratio = m["benchit_loop"] / m["plain_loop"]
    return [
        Row(f"{CALLS:,} model calls: the script under analysis (import to end)", m["benchit_script"], "s",
            m["plain_script"], "python script.py", "<= 1.2x", ratio <= 1.2),
        Row(f"{CALLS:,} model calls: the calling loop alone", m["benchit_loop"], "s", m["plain_loop"],
            "the loop, plain", "", None),
        Row("benchit fixed start-up (wall less the script)", m["benchit_startup"], "s", m["plain_startup"],
            "python's own", "", None),
    ]


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key}: {value:.3f} s")
