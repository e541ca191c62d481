"""`benchit report`: columns and values, broken entries, several caches, sweep summaries, plot, imports.

Every cache and sweep here was made by real runs of the real CLI (session fixtures in tests/conftest.py, copied
per test); only the tests about damaged entries change files by hand, and only the files they damage.
The quick ones read `hello_built` (hello_world and two_models); the others `report_built` (labelled scripts,
two runtimes, a failed build), `many_built` (70 builds) and `sweep_built` (a real sweep with failed jobs).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import (EXAMPLES, HELLO, HELLO_BUILDS, QUICK, build_names, copy_cache, figures, require, state,
                     state_file, stats, stats_file)

REPORT_COLUMNS = [
    "model_name", "author", "model_class", "params", "hash", "license", "task", "x86_latency", "nvidia_latency",
    "onnx_exported", "onnx_optimized", "onnx_converted",
    "script", "input_shapes", "device", "device_name", "runtime", "sequence", "mean_ms", "median_ms", "p90_ms",
    "p99_ms", "throughput_ips", "cv", "max_abs_error", "build_status", "failed_stage", "error", "benchit_version",
    "torch_version", "onnxruntime_version", "timestamp", "status", "build_name", "invocation", "labels",
]
MEASURED = ("mean_ms", "median_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "std_ms", "cv", "throughput_ips",
            "iterations")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _report(benchit, *args, out: Path) -> tuple[subprocess.CompletedProcess, pd.DataFrame]:
    proc = benchit("report", *args, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc, _read(out)


def _check_row_against_the_build(row, cache: Path) -> None:
    """A benchmarked row says what the build's state and stats say (read here with PyYAML, not by benchit)."""
    name = row.build_name
    config_id = row.build_config  # torch eager's results are a build config of their own (framework-...)
    built = state(cache, name, config_id)
    measured = figures(stats(cache, name, config_id)["benchmarks"][f"{row.device}/{row.runtime}"])
    for key in MEASURED:
        assert row[key] == pytest.approx(measured[key]), (name, key)
    assert row.device_name == measured["device_name"] and row.runtime_version == measured["runtime_version"]
    latency = "x86_latency" if row.device == "x86" else "nvidia_latency"
    assert row[latency] == pytest.approx(measured["mean_ms"])
    assert pd.isna(row["nvidia_latency" if row.device == "x86" else "x86_latency"])
    config = built["config"]
    assert row.params == config["params"] and row.hash == config["model_hash"] == name.rsplit("_", 1)[1]
    assert row.model_class == config["model_class"] and row.script == config["script"]
    assert row.sequence == config["sequence_name"]
    assert (row.stages if isinstance(row.stages, str) else "") == " ".join(built["sequence"])
    assert row.build_status == built["build_status"] == "successful"
    assert row.benchit_version == built["versions"]["benchit"] and row.torch_version == built["versions"]["torch"]
    shapes = ", ".join(f"{k}: ({', '.join(map(str, v['shape']))}{',' if len(v['shape']) == 1 else ''}) "
                       f"{v['dtype']}" for k, v in config["inputs"].items())
    assert row.input_shapes == shapes
    if not built["sequence"]:  # torch eager timed the script's model: no stage, nothing validated
        return
    last = built["sequence"][-2]  # the last stage that wrote a model (set_success writes none)
    assert row.max_abs_error == pytest.approx(built["validation"][last]["max_abs_error"])
    assert row[f"error_{last}"] == pytest.approx(built["validation"][last]["max_abs_error"])
    for key, value in (config.get("labels") or {}).items():
        column = "model_name" if key == "name" else key
        assert row[column] == value, (name, key)


# ---------------------------------------------------------------------------- the quick tier: hello_built
def test_report_of_a_real_cache_smoke(benchit, hello_cache, tmp_path):
    """One row per build and result, its values those of the build's own files; the file, the console table."""
    proc, df = _report(benchit, out=tmp_path / "r.csv")
    for column in REPORT_COLUMNS:
        assert column in df.columns, column
    assert sorted(df.build_name) == HELLO_BUILDS
    assert set(df.status) == {"benchmarked"} and set(df.device) == {"x86"} and set(df.runtime) == {"ort"}
    for _, row in df.iterrows():
        _check_row_against_the_build(row, hello_cache)
        assert bool(row.onnx_exported) and bool(row.onnx_optimized) and bool(row.onnx_converted)  # default sequence
    hello = df.set_index("build_name").loc[HELLO]
    assert (hello.model_name, hello.author, hello.task) == ("hello_world", "benchit", "example")  # its labels line
    assert hello.params == 55 and hello.hash == "479b1332" and hello.input_shapes == "x: (10,) float32"
    assert f"Info: Report written to {tmp_path / 'r.csv'}" in proc.stdout
    assert re.search(r"build\s+config\s+device\s+runtime\s+median ms\s+mean ms", proc.stdout)
    assert "3 rows (3 benchmarked)" in proc.stdout


def test_default_output_goes_to_the_cache_reports_folder(benchit, hello_cache):
    proc = benchit("report", check=True)
    out = Path(re.search(r"Report written to (\S+)", proc.stdout).group(1))
    assert out.parent == hello_cache / "reports" and out.suffix == ".csv" and out.exists()
    assert len(_read(out)) == 3
    # the reports folder is not a build
    assert "reports" not in benchit("cache", "list", check=True).stdout


def test_empty_and_missing_caches(benchit, tmp_path):
    (tmp_path / "empty").mkdir()
    proc, df = _report(benchit, "--cache-dir", "empty", out=tmp_path / "r.csv")
    assert len(df) == 0 and "model_name" in df.columns and "0 build configs" in proc.stdout
    proc = benchit("report", "--cache-dir", "nowhere")
    assert proc.returncode == 1 and "no cache at nowhere" in proc.stderr


def test_report_of_a_folder_that_is_not_a_sweep(benchit, tmp_path):
    (tmp_path / "plain").mkdir()
    proc = benchit("report", str(tmp_path / "plain"))
    assert proc.returncode == 1 and "not a sweep folder" in proc.stderr
    proc = benchit("report", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "no such folder" in proc.stderr


def _run_folder(hello_built: Path, tmp_path: Path) -> Path:
    """A copy of the real run folder of `hello_built` (benchit report writes its summary.csv there)."""
    (run,) = [p for p in (hello_built / "runs").iterdir() if (p / "results.json").is_file()]
    return Path(shutil.copytree(run, tmp_path / "runs" / run.name))


def test_report_of_a_single_run_folder(benchit, hello_built, tmp_path):
    run = _run_folder(hello_built, tmp_path)
    proc = benchit("report", str(run), check=True)
    assert f"Info: Summary written to {run / 'summary.csv'}" in proc.stdout
    df = _read(run / "summary.csv").set_index("build_name")
    recorded = {inv["build_name"]: inv["benchmark"] for s in json.loads((run / "results.json").read_text())["scripts"]
                for m in s["models"] for inv in m["invocations"]}
    assert sorted(df.index) == sorted(recorded) == HELLO_BUILDS
    for name, bench in recorded.items():
        assert df.status[name] == "benchmarked" and df.mean_ms[name] == pytest.approx(figures(bench)["mean_ms"])


def test_report_imports_nothing_heavy(hello_cache, hello_built, tmp_path):
    run = _run_folder(hello_built, tmp_path)
    heavy = ("torch", "tensorflow", "keras", "onnx", "onnxruntime", "hydra", "omegaconf", "matplotlib")
    code = (
        "import sys, io, contextlib\n"
        "from benchit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['report', '--cache-dir', {str(hello_cache)!r}, '-o', {str(tmp_path / 'r.csv')!r}]) == 0\n"
        f"    assert main(['report', {str(run)!r}]) == 0\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert len(_read(tmp_path / "r.csv")) == 3 and (run / "summary.csv").is_file()


# ---------------------------------------------------------------------------- report_built


@pytest.mark.slow
def test_one_row_per_build_device_runtime_with_values(benchit, report_cache, tmp_path):
    proc, df = _report(benchit, out=tmp_path / "r.csv")
    for column in REPORT_COLUMNS:
        assert column in df.columns, column
    assert any(c.startswith("error_") for c in df.columns) and any(c.startswith("seconds_") for c in df.columns)
    assert sorted(df.build_name.unique()) == build_names(report_cache)
    assert len(df) == 6  # 4 builds benchmarked once, timm_like twice (ort, torch), the failed build once
    ok = df[df.status == "benchmarked"]
    assert len(ok) == 5 and set(ok.device) == {"x86"}
    assert sorted(ok[ok.model_name == "timm_like"].runtime) == ["ort", "torch"]
    assert set(ok[ok.model_name != "timm_like"].runtime) == {"ort"}
    for _, row in ok.iterrows():
        _check_row_against_the_build(row, report_cache)
        # torch eager ran the script's own model: its build config exported nothing
        assert bool(row.onnx_exported) == (row.runtime != "torch")
        assert not bool(row.onnx_optimized) and not bool(row.onnx_converted)
    (failed,) = [row for _, row in df.iterrows() if row.status == "failed"]
    built = state(report_cache, failed.build_name)
    assert failed.build_name.startswith("unexportable_") and failed.build_status == "failed"
    assert failed.failed_stage == built["failed_stage"] == "export_pytorch"
    assert failed.error == built["error"] and "export_pytorch failed: ExportError" in failed.error
    assert (failed.model_name, failed.author, failed.task) == ("unexportable", "tests", "failure")
    assert not bool(failed.onnx_exported) and pd.isna(failed.mean_ms) and pd.isna(failed.device)
    assert "6 rows (5 benchmarked, 1 failed)" in proc.stdout


@pytest.mark.slow
def test_a_build_without_benchmarks_is_one_row(benchit, cache_dir, tmp_path):
    script = tmp_path / "plain.py"  # no labels line: the model is named after the script
    script.write_text("import torch\nmodel = torch.nn.Linear(3, 2)\nmodel(torch.ones(1, 3))\n")
    benchit(f"input.script={script}", "mode=build", "sequence=export_only", check=True)
    _, df = _report(benchit, out=tmp_path / "r.csv")
    assert len(df) == 1 and df.status[0] == "built" and pd.isna(df.device[0]) and pd.isna(df.mean_ms[0])
    assert df.model_name[0] == "plain" and df.build_status[0] == "successful" and bool(df.onnx_exported[0])


@pytest.mark.slow
def test_labels_fill_model_name_author_task_license(benchit, report_cache, tmp_path):
    _, df = _report(benchit, out=tmp_path / "r.csv")
    rows = df[df.build_name.str.startswith("bert_like_")]
    assert len(rows) == 2  # two models of one script: both carry its labels
    for _, row in rows.iterrows():
        assert (row.model_name, row.author, row.task, row.license) == ("bert_like", "huggingface", "fill_mask",
                                                                       "apache-2.0")
        assert row.labels == "name::bert_like author::huggingface task::fill_mask license::apache-2.0"
    assert df[df.model_name == "detector"].license.isna().all()  # a label the script does not have stays empty


@pytest.mark.slow
def test_labels_select_rows(benchit, report_cache, tmp_path):
    proc, df = _report(benchit, "--labels", "author::huggingface", out=tmp_path / "r.csv")
    assert sorted(df.model_name) == ["bert_like", "bert_like", "detector"]
    assert "with labels author::huggingface" in proc.stdout
    _, df = _report(benchit, "--labels", "author::huggingface", "task::fill_mask", out=tmp_path / "r.csv")
    assert list(df.model_name) == ["bert_like", "bert_like"]  # keys are ANDed
    _, df = _report(benchit, "--labels", "task::fill_mask", out=tmp_path / "r.csv")
    assert sorted(set(df.model_name)) == ["bert_like", "timm_like"]
    proc = benchit("report", "--labels", "huggingface")
    assert proc.returncode == 1 and "KEY::VALUE" in proc.stderr


@pytest.mark.slow
def test_several_caches(benchit, report_built, hello_built, tmp_path):
    copy_cache(report_built, tmp_path / "a")
    copy_cache(hello_built, tmp_path / "b")
    _, df = _report(benchit, "--cache-dir", "a", "b", out=tmp_path / "r.csv")
    assert len(df) == 6 + 3
    assert set(df[df.build_name.isin(HELLO_BUILDS)].cache_dir) == {str(tmp_path / "b")}
    assert set(df[~df.build_name.isin(HELLO_BUILDS)].cache_dir) == {str(tmp_path / "a")}
    _, df2 = _report(benchit, "--cache-dir", "a", "--cache-dir", "b", out=tmp_path / "r2.csv")
    assert df2.equals(df)


def _malformed_state(cache, name):
    state_file(cache, name).write_text("a: [1, 2\nb: {")


def _list_state(cache, name):
    state_file(cache, name).write_text("- just\n- a list\n")


def _no_state(cache, name):
    state_file(cache, name).unlink()


def _future(cache, name):
    data = state(cache, name)
    data["state_version"] = 7
    state_file(cache, name).write_text(yaml.safe_dump(data))


def _malformed_stats(cache, name):
    stats_file(cache, name).write_text("benchmarks: {x86/ort: [")


def _odd_benchmark(cache, name):
    stats_file(cache, name).write_text("benchmarks:\n  x86/ort: 3\n")


def _binary_state(cache, name):
    state_file(cache, name).write_bytes(b"\xff\xfe\x00garbage")


BROKEN = {
    "malformed state": (_malformed_state, "not valid YAML"),
    "list state": (_list_state, "not a benchit state"),
    "no state": (_no_state, "no state.yaml"),
    "future version": (_future, "newer benchit (state_version 7"),
    "malformed stats": (_malformed_stats, "stats.yaml is not valid YAML"),
    "odd benchmark": (_odd_benchmark, "not a mapping"),
    "binary state": (_binary_state, "not valid"),
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(BROKEN))
def test_a_broken_entry_is_a_row_with_a_warning(benchit, report_cache, tmp_path, damage):
    (name,) = build_names(report_cache, "detector_")
    hash_ = state(report_cache, name)["config"]["model_hash"]
    break_it, reason = BROKEN[damage]
    break_it(report_cache, name)
    proc, df = _report(benchit, out=tmp_path / "r.csv")
    (row,) = [row for _, row in df.iterrows() if row.build_name == name]
    assert row.status == "broken" and reason.format(name=name) in row.error, row.error
    if damage == "malformed stats":
        assert row.hash == hash_  # what the state knows is kept
    assert f"Warning: broken build {name}" in proc.stderr
    # every other build is there, intact
    assert (df.status == "benchmarked").sum() == 4 and (df.status == "failed").sum() == 1


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def _plot(benchit, tmp_path: Path, name: str) -> tuple[tuple[int, int], list[str]]:
    csv = tmp_path / f"{name}.csv"
    proc = benchit("report", "-o", str(csv), "--plot", check=True)
    png, md = csv.with_suffix(".png"), csv.with_suffix(".md")
    assert f"Info: Plot written to {png}" in proc.stdout and f"Markdown table written to {md}" in proc.stdout
    return _png_size(png), [line for line in md.read_text().splitlines() if line.startswith("|")]


@pytest.mark.slow
def test_plot_and_markdown(benchit, report_cache, tmp_path):
    require("matplotlib", "the plot extra, a dev dependency")
    (width, height), table = _plot(benchit, tmp_path, "r")
    assert width > 800 and 250 < height < 1000
    assert table[0].startswith("| model | ") and "x86/ort export_only" in table[0] and "x86/torch" in table[0]
    builds = build_names(report_cache)
    assert len(table) == 2 + len(builds)
    assert sorted(line.split(" | ")[0][2:] for line in table[2:]) == builds
    (failed,) = [line for line in table if "| failed" in line]
    assert failed.startswith("| unexportable_")


@pytest.mark.slow
def test_plot_caps_the_picture_not_the_table(benchit, many_built, cache_dir, tmp_path):
    """70 builds (built, not benchmarked): the Markdown table has every one; the picture shows the first 60 (more
    is unreadable), each as tall as in a small plot."""
    require("matplotlib", "the plot extra, a dev dependency")
    copy_cache(many_built, cache_dir)
    builds = build_names(cache_dir)
    assert len(builds) == 70
    (_, height), table = _plot(benchit, tmp_path, "many")
    assert len(table) == 2 + 70
    per_model = 0.19 * 1.6 * 110  # inches per bar and gap, times dots per inch: see benchit/report/output.py
    assert 60 * per_model < height < 66 * per_model, height


# ---------------------------------------------------------------------------- sweeps: sweep_built
@pytest.fixture
def sweep(sweep_built, tmp_path) -> Path:
    """A copy of the real sweep, its summary removed, with two jobs damaged as an interrupted sweep leaves them:
    job 1's results.json never written, job 3's cut short."""
    sweep = Path(shutil.copytree(sweep_built, tmp_path / "sweeps" / sweep_built.name))
    (sweep / "summary.csv").unlink()
    (sweep / "1" / "results.json").unlink()
    (sweep / "3" / "results.json").write_text('{"config": {')
    return sweep


def _overrides(job: Path) -> str:
    return " ".join(yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()))


@pytest.mark.slow
def test_report_sweep_rebuilds_the_summary(benchit, sweep_built, sweep):
    proc = benchit("report", str(sweep), check=True)
    out = sweep / "summary.csv"
    assert f"Info: Summary written to {out}" in proc.stdout
    assert "4 jobs (3 with failures)" in proc.stdout
    df = _read(out)
    assert list(df.job) == [0, 0, 1, 2, 3]  # job order; job 0 ran two models
    first = df[df.job == 0].set_index("build_name")
    recorded = json.loads((sweep / "0" / "results.json").read_text())
    for model in recorded["scripts"][0]["models"]:
        (inv,) = model["invocations"]
        row = first.loc[inv["build_name"]]
        assert row.status == "benchmarked" and row.mean_ms == pytest.approx(figures(inv["benchmark"])["mean_ms"])
        assert row.hash == model["hash"] and row.params == model["params"]
        assert (row.model_name, row.author, row.task) == ("two_models", "benchit", "example")
        assert row.overrides == _overrides(sweep / "0") and row.sequence == "export_only"
    rows = df[df.job != 0].set_index("job")
    assert rows.status[1] == "missing" and "did not finish" in rows.error[1]
    assert rows.status[2] == "failed" and "script not found" in rows.error[2] and "missing.py" in rows.overrides[2]
    assert rows.status[3] == "broken" and "not valid" in rows.error[3]
    assert "Warning: broken results file" in proc.stderr
    # the console table says what differs between jobs
    assert re.search(r"^0\s+input\.script=two_models\.py sequence=export_only\s+two_models_\w+\s+[0-9.]+\s+[0-9.]+\s+(True|False)\s+benchmarked",
                     proc.stdout, re.M), proc.stdout
    # the summary the sweep wrote itself, with every job intact, is the same table
    # (compared as text: a column empty in one file and not in the other is read with another dtype)
    written, df = (pd.read_csv(path, dtype=str, keep_default_na=False) for path in (sweep_built / "summary.csv", out))
    assert list(written.job) == ["0", "0", "1", "1", "2", "3"]
    same = [c for c in df.columns if c != "job_dir"]  # where the job folder is: the copy's, not the sweep's
    assert written[written.job == "0"][same].reset_index(drop=True).equals(
        df[df.job == "0"][same].reset_index(drop=True))


@pytest.mark.slow
def test_report_sweep_to_another_file_with_plot(benchit, sweep, tmp_path):
    require("matplotlib", "the plot extra, a dev dependency")
    benchit("report", str(sweep), "-o", str(tmp_path / "s.csv"), "--plot", check=True)
    assert (tmp_path / "s.csv").exists() and not (sweep / "summary.csv").exists()
    _png_size(tmp_path / "s.png")
    md = (tmp_path / "s.md").read_text()
    assert "sequence=export_only" in md and "| failed" in md


@pytest.mark.slow
def test_report_sweep_with_labels_writes_the_selection_elsewhere(benchit, sweep, tmp_path):
    proc = benchit("report", str(sweep), "--labels", "author::benchit")
    assert proc.returncode == 1 and "-o FILE.csv" in proc.stderr
    benchit("report", str(sweep), "--labels", "author::benchit", "-o", str(tmp_path / "sel.csv"), check=True)
    assert list(_read(tmp_path / "sel.csv").job) == [0, 0]  # two_models' job that finished
    assert not (sweep / "summary.csv").exists()


@pytest.mark.slow
def test_every_multirun_writes_a_summary_including_failed_jobs(benchit, hello_cache, cache_dir, tmp_path):
    hello = EXAMPLES / "hello_world.py"
    proc = benchit("-m", f"input.script={hello},{tmp_path / 'missing.py'}", *QUICK)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a job failed
    (sweep,) = (cache_dir / "sweeps").iterdir()
    summary = sweep / "summary.csv"
    assert f"Sweep summary (2 jobs, 1 with failures): {summary}" in proc.stdout
    df = _read(summary).set_index("job")
    assert df.status[0] == "benchmarked" and df.mean_ms[0] > 0 and df.build_name[0] == HELLO
    assert (df.model_name[0], df.author[0]) == ("hello_world", "benchit")
    assert df.status[1] == "failed" and "script not found" in df.error[1]
    assert str(tmp_path / "missing.py") in df.overrides[1]
    # interrupted sweep / lost file: `benchit report SWEEP_DIR` rebuilds the same summary
    before = summary.read_text()
    summary.unlink()
    benchit("report", str(sweep), check=True)
    assert summary.read_text() == before


# ---------------------------------------------------------------------------- the CSV encoder (no runs)
def test_stored_cells_read_back_as_the_values_they_hold(tmp_path):
    """The report writes stored, pre-quoted cells (benchit/report/output.py); read back with the csv module,
    every awkward value is intact, in any column order and with columns missing."""
    import csv
    import io

    from benchit.report.output import csv_lines, render, write_csv

    rows = [{"a": 'say "hi", then\nleave', "b": None, "c": 0.1 + 0.2, "d": 55, "e": True, "f": " x\r"},
            {"b": "plain", "a": "sep\x1fand\x1erecord", "g": float("nan")}]
    expected = [["c", "a", "b", "d", "e", "f", "g"],
                ["0.30000000000000004", 'say "hi", then\nleave', "", "55", "True", " x\r", ""],
                ["", "sep and record", "plain", "", "", "", "nan"]]  # the separators the cells are kept with: spaces
    out = tmp_path / "x.csv"
    write_csv(rows, ["c", "a"], out)
    assert list(csv.reader(out.open(newline=""))) == expected
    # a rendering in another column order maps onto the report's columns, cell for cell
    lines = csv_lines(render(rows[::-1]), tuple(expected[0]), {})
    assert list(csv.reader(io.StringIO("\n".join(lines[::-1]), newline=""))) == expected[1:]
