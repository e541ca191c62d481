"""`benchit report`: columns and values, broken entries, several caches, sweep summaries, plot, imports.

These tests read caches and sweep folders laid out as benchit writes them (see benchmarks/cache_report.py);
tests/test_report_e2e.py checks the same against real runs.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repo_paths import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from cache_report import build_files, make_cache, write_build  # noqa: E402

ISSUE_COLUMNS = [
    "model_name", "author", "model_class", "params", "hash", "license", "task", "x86_latency", "nvidia_latency",
    "onnx_exported", "onnx_optimized", "onnx_converted",
    "script", "input_shapes", "device", "device_name", "runtime", "sequence", "mean_ms", "median_ms", "p90_ms",
    "p99_ms", "throughput_ips", "cv", "max_abs_error", "build_status", "failed_stage", "error", "benchit_version",
    "torch_version", "onnxruntime_version", "timestamp", "status", "build_name", "invocation", "labels",
]


def _report(benchit, *args, out: Path) -> tuple[subprocess.CompletedProcess, pd.DataFrame]:
    proc = benchit("report", *args, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc, pd.read_csv(out, keep_default_na=False, na_values=[""])


def test_one_row_per_build_device_runtime_with_values(benchit, cache_dir, tmp_path):
    make_cache(cache_dir, 6, failed_every=3)  # builds 2 and 5 failed
    proc, df = _report(benchit, out=tmp_path / "r.csv")
    for column in ISSUE_COLUMNS:
        assert column in df.columns, column
    assert any(c.startswith("error_") for c in df.columns) and any(c.startswith("seconds_") for c in df.columns)
    assert len(df) == 4 * 2 + 2  # 4 builds x (x86, nvidia) + 2 failed builds
    ok = df[df.status == "benchmarked"]
    assert set(ok.device) == {"x86", "nvidia"} and set(ok.runtime) == {"ort"}
    name = "model0000_9e3779b1"
    state = yaml.safe_load((cache_dir / name / f"{name}_state.yaml").read_text())
    stats = yaml.safe_load((cache_dir / name / f"{name}_stats.yaml").read_text())
    for device, row in df[df.build_name == name].set_index("device").iterrows():
        bench = stats["benchmarks"][f"{device}/ort"]
        for key in ("mean_ms", "median_ms", "p90_ms", "p99_ms", "cv", "throughput_ips"):
            assert row[key] == pytest.approx(bench[key])
        assert row["x86_latency" if device == "x86" else "nvidia_latency"] == pytest.approx(bench["mean_ms"])
        assert pd.isna(row["nvidia_latency" if device == "x86" else "x86_latency"])
        assert row.model_name == state["config"]["labels"]["name"] == "model0000"
        assert row.author == state["config"]["labels"]["author"] and row.task == state["config"]["labels"]["task"]
        assert row.params == state["config"]["params"] and row.hash == "9e3779b1"
        assert row.model_class == "SmallModel" and row.sequence == "optimize_fp32"
        assert row.input_shapes == "x: (1, 10) float32"
        assert bool(row.onnx_exported) and bool(row.onnx_optimized) and bool(row.onnx_converted)
        assert row.max_abs_error == pytest.approx(2e-04) and row.error_fp16_conversion == pytest.approx(2e-04)
        assert row.build_status == "successful" and row.benchit_version == "0.1.0"
    failed = df[df.status == "failed"]
    assert len(failed) == 2
    assert set(failed.failed_stage) == {"optimize_onnx"}
    assert all("synthetic failure" in e for e in failed.error)
    assert failed.onnx_exported.astype(bool).all() and not failed.onnx_optimized.astype(bool).any()
    # where the file went and a short table
    assert f"Info: Report written to {tmp_path / 'r.csv'}" in proc.stdout
    assert re.search(r"build\s+device\s+runtime\s+sequence\s+mean ms", proc.stdout)
    assert "10 rows (8 benchmarked, 2 failed)" in proc.stdout


def test_default_output_goes_to_the_cache_reports_folder(benchit, cache_dir):
    make_cache(cache_dir, 2)
    proc = benchit("report", check=True)
    out = Path(re.search(r"Report written to (\S+)", proc.stdout).group(1))
    assert out.parent == cache_dir / "reports" and out.suffix == ".csv" and out.exists()
    # the reports folder is not a build
    assert "reports" not in benchit("cache", "list", check=True).stdout


def test_a_build_without_benchmarks_is_one_row(benchit, cache_dir, tmp_path):
    state, stats = build_files("only_built_11111111", script="/s.py", model_hash="11111111", params=3)
    write_build(cache_dir, "only_built_11111111", state, stats)
    _, df = _report(benchit, out=tmp_path / "r.csv")
    assert len(df) == 1 and df.status[0] == "built" and pd.isna(df.device[0])
    assert df.model_name[0] == "s"  # no labels: the script's name


def test_labels_fill_model_name_author_task_license(benchit, cache_dir, tmp_path):
    labels = {"name": "bert", "author": "huggingface", "task": "fill_mask", "license": "apache-2.0"}
    state, stats = build_files("bert_22222222", script="/m/bert.py", model_hash="22222222", params=7,
                               labels=labels, benchmarks={"x86/ort": 1.5})
    write_build(cache_dir, "bert_22222222", state, stats)
    _, df = _report(benchit, out=tmp_path / "r.csv")
    row = df.iloc[0]
    assert (row.model_name, row.author, row.task, row.license) == ("bert", "huggingface", "fill_mask", "apache-2.0")
    assert row.labels == "name::bert author::huggingface task::fill_mask license::apache-2.0"


def test_labels_select_rows(benchit, cache_dir, tmp_path):
    for name, author, task in (("a", "huggingface", "fill_mask"), ("b", "huggingface", "detection"),
                               ("c", "timm", "fill_mask")):
        state, stats = build_files(f"{name}_44444444", script=f"/{name}.py", model_hash="44444444", params=1,
                                   labels={"name": name, "author": author, "task": task},
                                   benchmarks={"x86/ort": 1.0})
        write_build(cache_dir, f"{name}_44444444", state, stats)
    proc, df = _report(benchit, "--labels", "author::huggingface", out=tmp_path / "r.csv")
    assert sorted(df.model_name) == ["a", "b"] and "with labels author::huggingface" in proc.stdout
    _, df = _report(benchit, "--labels", "author::huggingface", "task::fill_mask", out=tmp_path / "r.csv")
    assert list(df.model_name) == ["a"]
    proc = benchit("report", "--labels", "huggingface")
    assert proc.returncode == 1 and "KEY::VALUE" in proc.stderr


def test_several_caches(benchit, tmp_path):
    make_cache(tmp_path / "a", 2, failed_every=0)
    make_cache(tmp_path / "b", 3, failed_every=0, seed=1)
    _, df = _report(benchit, "--cache-dir", "a", "b", out=tmp_path / "r.csv")
    assert len(df) == (2 + 3) * 2
    assert set(df.cache_dir) == {str(tmp_path / "a"), str(tmp_path / "b")}
    _, df2 = _report(benchit, "--cache-dir", "a", "--cache-dir", "b", out=tmp_path / "r2.csv")
    assert len(df2) == len(df)


def test_broken_entries_are_rows_with_a_warning(benchit, cache_dir, tmp_path):
    make_cache(cache_dir, 2, failed_every=0)

    def build(name, **kw):
        state, stats = build_files(name, script=f"/{name}.py", model_hash="33333333", params=1,
                                   benchmarks={"x86/ort": 2.0}, **kw)
        return write_build(cache_dir, name, state, stats)

    build("malformed_state").joinpath("malformed_state_state.yaml").write_text("a: [1, 2\nb: {")
    build("list_state").joinpath("list_state_state.yaml").write_text("- just\n- a list\n")
    build("no_state").joinpath("no_state_state.yaml").unlink()
    build("future", state_version=7)
    build("malformed_stats").joinpath("malformed_stats_stats.yaml").write_text("benchmarks: {x86/ort: [")
    folder = build("odd_benchmark")
    folder.joinpath("odd_benchmark_stats.yaml").write_text("benchmarks:\n  x86/ort: 3\n")
    build("binary_state").joinpath("binary_state_state.yaml").write_bytes(b"\xff\xfe\x00garbage")
    proc, df = _report(benchit, out=tmp_path / "r.csv")
    broken = df[df.status == "broken"].set_index("build_name")
    assert set(broken.index) == {"malformed_state", "list_state", "no_state", "future", "malformed_stats",
                                 "odd_benchmark", "binary_state"}
    assert "not valid YAML" in broken.error["malformed_state"]
    assert "not a benchit state" in broken.error["list_state"]
    assert "no no_state_state.yaml" in broken.error["no_state"]
    assert "newer benchit (state_version 7" in broken.error["future"]
    assert "malformed_stats_stats.yaml is not valid YAML" in broken.error["malformed_stats"]
    assert broken.hash["malformed_stats"] == "33333333"  # what the state knows is kept
    assert "not a mapping" in broken.error["odd_benchmark"]
    for name in broken.index:
        assert f"Warning: broken build {name}" in proc.stderr
    assert (df.status == "benchmarked").sum() == 4  # the good builds are all there


def test_empty_and_missing_caches(benchit, tmp_path):
    (tmp_path / "empty").mkdir()
    proc, df = _report(benchit, "--cache-dir", "empty", out=tmp_path / "r.csv")
    assert len(df) == 0 and "model_name" in df.columns and "0 builds" in proc.stdout
    proc = benchit("report", "--cache-dir", "nowhere")
    assert proc.returncode == 1 and "no cache at nowhere" in proc.stderr


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("n_models", [5, 50])
def test_plot_and_markdown(benchit, cache_dir, tmp_path, n_models):
    make_cache(cache_dir, n_models, failed_every=4)
    proc = benchit("report", "-o", str(tmp_path / "r.csv"), "--plot", check=True)
    png, md = tmp_path / "r.png", tmp_path / "r.md"
    assert f"Info: Plot written to {png}" in proc.stdout and f"Markdown table written to {md}" in proc.stdout
    width, height = _png_size(png)
    assert png.stat().st_size > 20_000 and width > 800
    assert height > (2500 if n_models == 50 else 250)  # grows with the models so labels stay readable
    lines = md.read_text().splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0].startswith("| model | ") and "x86/ort" in table[0] and "nvidia/ort" in table[0]
    assert len(table) == 2 + n_models
    assert any("| failed |" in line for line in table)


def test_plot_caps_the_picture_not_the_table(benchit, cache_dir, tmp_path):
    make_cache(cache_dir, 80, failed_every=0)
    benchit("report", "-o", str(tmp_path / "r.csv"), "--plot", check=True)
    assert len([line for line in (tmp_path / "r.md").read_text().splitlines() if line.startswith("| model0")]) == 80
    _, height = _png_size(tmp_path / "r.png")
    assert height < 6000


# ---------------------------------------------------------------------------- sweeps

def _job(sweep: Path, num: int, overrides: list[str], results: dict | str | None, labels: dict | None = None):
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    if isinstance(results, dict):
        (job / "results.json").write_text(json.dumps(results))
        for n, script in enumerate(results.get("scripts") or [], 1):
            folder = job / "scripts" / f"{n:03d}_{Path(script['script']).stem}"
            folder.mkdir(parents=True)
            (folder / "job.json").write_text(json.dumps({"labels": labels or {}}))
    elif isinstance(results, str):
        (job / "results.json").write_text(results)
    return job


def _results(sequence: str, mean: float | None) -> dict:
    inv = {"index": 1, "build_name": "hello_world_479b1332", "inputs": {"x": {"shape": [10], "dtype": "float32"}},
           "calls": 1, "selected": True, "status": "benchmarked" if mean else "failed",
           "validation": {"export_pytorch": {"max_abs_error": 1e-7}, "fp16_conversion": {"max_abs_error": 2e-4}}}
    if mean is not None:
        inv["benchmark"] = {"device": "x86", "device_name": "AMD EPYC", "runtime": "ort", "mean_ms": mean,
                            "median_ms": mean, "p90_ms": mean, "p99_ms": mean, "cv": 0.01,
                            "throughput_ips": 1000 / mean}
    else:
        inv["message"] = "optimize_onnx failed: RuntimeError: boom"
    return {"config": {"device": {"name": "x86", "runtime": "ort"}, "sequence": {"name": sequence},
                       "mode": "benchmark"},
            "scripts": [{"script": "/ex/hello_world.py", "status": "ok" if mean else "failed", "message": "",
                         "models": [{"name": "pytorch_model", "class_name": "SmallModel", "params": 55,
                                     "hash": "479b1332", "invocations": [inv]}]}]}


@pytest.fixture
def sweep(tmp_path) -> Path:
    sweep = tmp_path / "sweeps" / "2026-11-30_06-00-00_abcdef"
    sweep.mkdir(parents=True)
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    labels = {"name": "hello_world", "author": "benchit", "task": "example"}
    _job(sweep, 0, ["input=hello_world", "sequence=default"], _results("default", 0.02), labels)
    _job(sweep, 1, ["input=hello_world", "sequence=export_only"], _results("export_only", 0.05), labels)
    _job(sweep, 2, ["input=hello_world", "sequence=optimize_fp32"], _results("optimize_fp32", None))
    _job(sweep, 3, ["input=nothing", "sequence=default"],
         {"status": "failed", "error": "script not found: /nothing.py", "scripts": []})
    _job(sweep, 4, ["input=hello_world", "sequence=x"], None)  # interrupted before it wrote results
    _job(sweep, 10, ["input=hello_world", "sequence=y"], "{not json")
    return sweep


def test_report_sweep_rebuilds_the_summary(benchit, sweep):
    proc = benchit("report", str(sweep), check=True)
    out = sweep / "summary.csv"
    assert f"Info: Summary written to {out}" in proc.stdout
    assert "6 jobs (4 with failures)" in proc.stdout
    df = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert list(df.job) == [0, 1, 2, 3, 4, 10]  # job order, not text order
    rows = df.set_index("job")
    assert rows.status[0] == "benchmarked" and rows.mean_ms[0] == pytest.approx(0.02)
    assert rows.sequence[1] == "export_only" and rows.overrides[1] == "input=hello_world sequence=export_only"
    assert (rows.model_name[0], rows.author[0], rows.task[0]) == ("hello_world", "benchit", "example")
    assert rows.hash[0] == "479b1332" and rows.params[0] == 55 and rows.max_abs_error[0] == pytest.approx(2e-4)
    assert rows.status[2] == "failed" and "optimize_onnx failed" in rows.error[2]
    assert rows.status[3] == "failed" and rows.error[3] == "script not found: /nothing.py"
    assert rows.status[4] == "missing" and "did not finish" in rows.error[4]
    assert rows.status[10] == "broken" and "not valid" in rows.error[10]
    assert "Warning: broken results file" in proc.stderr
    # the console table says what differs between jobs
    assert re.search(r"^1\s+input=hello_world sequence=export_only\s+hello_world_479b1332\s+0\.05\s+benchmarked", proc.stdout, re.M)


def test_report_sweep_to_another_file_with_plot(benchit, sweep, tmp_path):
    proc = benchit("report", str(sweep), "-o", str(tmp_path / "s.csv"), "--plot", check=True)
    assert (tmp_path / "s.csv").exists() and not (sweep / "summary.csv").exists()
    _png_size(tmp_path / "s.png")
    md = (tmp_path / "s.md").read_text()
    assert "sequence=default" in md and "sequence=export_only" in md and "| failed |" in md


def test_report_sweep_with_labels_writes_the_selection_elsewhere(benchit, sweep, tmp_path):
    proc = benchit("report", str(sweep), "--labels", "author::benchit")
    assert proc.returncode == 1 and "-o FILE.csv" in proc.stderr
    benchit("report", str(sweep), "--labels", "author::benchit", "-o", str(tmp_path / "sel.csv"), check=True)
    assert list(pd.read_csv(tmp_path / "sel.csv").job) == [0, 1]
    assert not (sweep / "summary.csv").exists()


def test_report_of_a_single_run_folder(benchit, tmp_path):
    run = tmp_path / "runs" / "2026-11-30_06-00-00_abcdef"
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps(_results("default", 0.03)))
    benchit("report", str(run), check=True)
    df = pd.read_csv(run / "summary.csv")
    assert len(df) == 1 and df.mean_ms[0] == pytest.approx(0.03)


def test_report_of_a_folder_that_is_not_a_sweep(benchit, tmp_path):
    (tmp_path / "plain").mkdir()
    proc = benchit("report", str(tmp_path / "plain"))
    assert proc.returncode == 1 and "not a sweep folder" in proc.stderr
    proc = benchit("report", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "no such folder" in proc.stderr


def test_report_imports_nothing_heavy(cache_dir, sweep, tmp_path):
    make_cache(cache_dir, 3)
    heavy = ("torch", "tensorflow", "keras", "onnx", "onnxruntime", "hydra", "omegaconf", "matplotlib")
    code = (
        "import sys, io, contextlib\n"
        "from benchit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['report', '--cache-dir', {str(cache_dir)!r}, '-o', {str(tmp_path / 'r.csv')!r}]) == 0\n"
        f"    assert main(['report', {str(sweep)!r}]) == 0\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
