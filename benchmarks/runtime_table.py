"""The runtime comparison table of docs/devices.md: six models x the x86 runtimes, three repeated runs.

    HF_HUB_OFFLINE=1 python benchmarks/runtime_table.py            (about 30-40 minutes on 2 cores)
    python benchmarks/runtime_table.py --models hello_world --repeats 1     (one model, one run)

For each repeat (each into its own cache, so nothing is reused from the run before) and each model, it
runs the real CLI:

    benchit -m input.script=MODEL.py device.runtime=ort,torch,torch_compile,openvino \
        sequence=optimize_fp32 device.threads=1

(the Keras model: device.runtime=ort,openvino; the torch runtimes time PyTorch models only), then
`benchit report --cache-dir CACHE -o runN.csv`, and prints one Markdown table from the report CSVs:
per model and runtime, the median latency (the median of the three runs' medians) with the CV
(stdev / mean) of those three medians, peak RSS (`peak_rss_mb`), load time (`load_ms`) and the first,
cold call (`first_call_ms`: torch.compile compiles there), the medians of the three runs, the ratio to
torch eager's median, and the largest error of the runtime's outputs against the framework's over the
runs (`runtime_max_abs_error`; inf: an output missing or of another shape). "(k/3 unstable)" counts the
runs benchit flagged unstable. A model/runtime pair that failed is a row saying so, with the report's
one-line error.

`sequence=optimize_fp32` keeps the built ONNX file in float32 (the default sequence ends in float16),
so every runtime computes in the same precision as the PyTorch model; `device.threads=1` gives every
runtime one intra-op thread (on a shared machine more threads wait for a neighbour's core, see
benchmarks/fidelity.py). The CSVs and each command's log stay in --out (default: a temp folder).
BENCHIT_BENCH_QUICK=1 (the docs test): hello_world alone, on ort and torch, one run, to show that it runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TORCH_RUNTIMES = ["ort", "torch", "torch_compile", "openvino"]
ONNX_RUNTIMES = ["ort", "openvino"]
# (name in the table, script, runtimes)
MODELS = [
    ("hello_world", "examples/cli/scripts/hello_world.py", "small MLP (Linear 10->5)", TORCH_RUNTIMES),
    ("cnn_batch8", "examples/models/classic_cnn_batch8.py", "CNN (LeNet, batch 8)", TORCH_RUNTIMES),
    ("bert", "examples/models/encoder_bert.py", "BERT-like encoder (2 layers, width 32, seq 16)", TORCH_RUNTIMES),
    ("gpt2", "examples/models/decoder_gpt2.py", "decoder (GPT-2, 2 layers, width 32, seq 16)", TORCH_RUNTIMES),
    ("vit", "examples/models/vision_vit.py", "ViT (2 layers, width 32, 2 images 32x32)", TORCH_RUNTIMES),
    ("mobilenetv2", "examples/models/keras_mobilenetv2.py", "Keras MobileNetV2 (2 images 32x32)", ONNX_RUNTIMES),
]
SETTINGS = ["sequence=optimize_fp32", "device.threads=1"]
QUICK = os.environ.get("BENCHIT_BENCH_QUICK", "").strip().lower() in ("1", "true", "yes")


def run_benchit(script: str, runtimes: list[str], cache: Path, log: Path) -> int:
    argv = [sys.executable, "-m", "benchit", "-m", f"input.script={REPO / script}",
            f"device.runtime={','.join(runtimes)}", *SETTINGS]
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    with log.open("a") as out:
        out.write("$ " + " ".join(argv) + "\n")
        out.flush()
        return subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO).returncode


def report(cache: Path, csv_file: Path, log: Path) -> None:
    with log.open("a") as out:
        subprocess.run([sys.executable, "-m", "benchit", "report", "--cache-dir", str(cache), "-o", str(csv_file)],
                       stdout=out, stderr=subprocess.STDOUT, check=True, cwd=REPO)


def read_rows(csv_file: Path) -> dict[tuple[str, str], dict]:
    """(script stem, runtime) -> the report row (x86 only)."""
    rows = {}
    with csv_file.open(newline="") as f:
        for row in csv.DictReader(f):
            if row.get("device") not in ("x86", ""):
                continue
            key = (Path(row.get("script") or "").stem, row.get("runtime") or "")
            if key in rows and rows[key].get("median_ms") and not row.get("median_ms"):
                continue  # keep the measured row over a failed leftover
            rows[key] = row
    return rows


def _float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def table(csv_files: list[Path], models=MODELS) -> str:
    runs = [read_rows(f) for f in csv_files]
    lines = ["| model | runtime | median latency (ms) | CV of the medians | peak RSS (MB) | load (ms) "
             "| first call (ms) | vs torch eager | max abs error vs framework |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, script, _, runtimes in models:
        stem = Path(script).stem
        torch_median = None
        cells = []
        for runtime in runtimes:
            found = [run.get((stem, runtime)) for run in runs]
            medians = [_float(r.get("median_ms")) for r in found if r]
            medians = [m for m in medians if m is not None]
            if len(medians) < len(runs):
                errors = [(r.get("error") or r.get("status") or "").replace("|", "/").strip() for r in found
                          if r and _float(r.get("median_ms")) is None]
                reason = next((e for e in errors if e), "no result in the report (see the run's log)")
                cells.append((runtime, f"failed ({len(runs) - len(medians)} of {len(runs)} runs): "
                                       f"{reason.splitlines()[0][:200]}", None, ""))
                continue
            rss = statistics.median(_float(r.get("peak_rss_mb")) or 0.0 for r in found)
            load = statistics.median(_float(r.get("load_ms")) or 0.0 for r in found)
            first = statistics.median(_float(r.get("first_call_ms")) or 0.0 for r in found)
            median = statistics.median(medians)
            cv = statistics.stdev(medians) / statistics.mean(medians) if len(medians) > 1 else 0.0
            if runtime == "torch":
                torch_median = median
            unstable = sum(r.get("unstable") == "True" for r in found)
            errors = [_float(r.get("runtime_max_abs_error")) for r in found]
            error = max((e for e in errors if e is not None), default=None)
            error_text = "-" if error is None else f"{error:.2g}"
            if any(r.get("validation_note") for r in found) and error is not None:
                error_text += " (constant reference)"
            cells.append((runtime, (f"{median:.4g}" + (f" ({unstable}/{len(found)} unstable)" if unstable else ""),
                                    f"{cv * 100:.1f} %", f"{rss:.1f}", f"{load:.4g}", f"{first:.4g}"),
                          median, error_text))
        for runtime, cell, median, error_text in cells:
            if median is None:
                lines.append(f"| {name} | {runtime} | {cell} | | | | | | |")
                continue
            ratio = f"{torch_median / median:.2f}x" if torch_median else "-"
            lines.append(f"| {name} | {runtime} | " + " | ".join(cell) + f" | {ratio} | {error_text} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1 if QUICK else 3)
    parser.add_argument("--models", nargs="*", help="names from the table (default: all six)")
    parser.add_argument("--out", type=Path, help="folder for the caches, CSVs and logs (default: a temp folder)")
    parser.add_argument("--table-only", action="store_true", help="print the table from --out's CSVs, run nothing")
    args = parser.parse_args(argv)
    models = [m for m in MODELS if not args.models or m[0] in args.models]
    if QUICK:
        models = [(name, script, what, ["ort", "torch"]) for name, script, what, _ in models[:1]]
    out = args.out or Path(tempfile.mkdtemp(prefix="benchit-runtime-table-"))
    out.mkdir(parents=True, exist_ok=True)
    csv_files = [out / f"run{i + 1}.csv" for i in range(args.repeats)]
    if not args.table_only:
        log = out / "log.txt"
        print(f"caches, CSVs and the log: {out}", file=sys.stderr)
        for i, csv_file in enumerate(csv_files):
            cache = out / f"cache{i + 1}"
            for name, script, _, runtimes in models:
                code = run_benchit(script, runtimes, cache, log)
                print(f"run {i + 1}/{args.repeats} {name}: exit {code}", file=sys.stderr, flush=True)
            report(cache, csv_file, log)
    print(table(csv_files, models))
    if QUICK and not args.out:  # the docs test's run: nothing worth keeping
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
