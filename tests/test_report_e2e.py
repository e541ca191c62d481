"""Cache commands and reports against real runs: values, a sweep with a failed job, concurrent writers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repo_paths import EXAMPLES

pytestmark = pytest.mark.slow

FAST = ["device.measurement.min_seconds=0.05", "device.measurement.min_iterations=20",
        "device.measurement.warmup_seconds=0.01"]


def _read(out: Path) -> pd.DataFrame:
    return pd.read_csv(out, keep_default_na=False, na_values=[""])


def test_report_columns_and_values_against_a_real_run(benchit, cache_dir, tmp_path):
    benchit("input=two_models", *FAST, check=True)
    listing = benchit("cache", "list", check=True).stdout.splitlines()
    assert listing == [f"Info: Builds available in cache {cache_dir}:", "two_models_215ca1e3", "two_models_479b1332"]
    proc = benchit("report", "-o", str(tmp_path / "r.csv"), check=True)
    assert "2 rows (2 benchmarked)" in proc.stdout
    df = _read(tmp_path / "r.csv").set_index("build_name")
    for name, params in (("two_models_479b1332", 55), ("two_models_215ca1e3", 510)):
        state = yaml.safe_load((cache_dir / name / f"{name}_state.yaml").read_text())
        stats = yaml.safe_load((cache_dir / name / f"{name}_stats.yaml").read_text())
        bench = stats["benchmarks"]["x86/ort"]
        row = df.loc[name]
        # the script's first line: `# labels: name::two_models author::benchit task::example`
        assert (row.model_name, row.author, row.task) == ("two_models", "benchit", "example")
        assert row.model_class == "SmallModel" and row.params == params and row.hash == name.split("_")[-1]
        assert row.script == str(EXAMPLES / "two_models.py")
        assert (row.device, row.runtime, row.sequence, row.status) == ("x86", "ort", "default", "benchmarked")
        assert row.device_name == bench["device_name"]
        for key in ("mean_ms", "median_ms", "p90_ms", "p99_ms", "cv", "throughput_ips"):
            assert row[key] == pytest.approx(bench[key])
        assert row.x86_latency == pytest.approx(bench["mean_ms"]) and pd.isna(row.nvidia_latency)
        assert bool(row.onnx_exported) and bool(row.onnx_optimized) and bool(row.onnx_converted)
        assert row.build_status == state["build_status"] == "successful"
        assert row.error_fp16_conversion == pytest.approx(state["validation"]["fp16_conversion"]["max_abs_error"])
        assert row.stages == " ".join(state["sequence"])
        assert row.benchit_version == state["versions"]["benchit"] and row.torch_version == state["versions"]["torch"]
        assert row.input_shapes == f"x: ({10 if params == 55 else 50},) float32"
    # clean keeps the results, delete removes the build
    benchit("cache", "clean", "two_models_479b1332", check=True)
    assert not (cache_dir / "two_models_479b1332" / "onnx").exists()
    benchit("report", "-o", str(tmp_path / "r2.csv"), check=True)
    lean = _read(tmp_path / "r2.csv").set_index("build_name")
    assert bool(lean.lean["two_models_479b1332"]) and lean.mean_ms["two_models_479b1332"] > 0
    benchit("cache", "delete", "two_models_479b1332", check=True)
    assert benchit("cache", "list", check=True).stdout.splitlines()[1:] == ["two_models_215ca1e3"]
    stats_out = benchit("cache", "stats", "two_models_215ca1e3", check=True).stdout
    assert stats_out.startswith(f"Info: The state of build two_models_215ca1e3 in cache {cache_dir} is:\n")


UNEXPORTABLE = """# labels: name::unexportable author::tests task::failure
import torch


class Unexportable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.linalg.svdvals(self.fc(x))  # no ONNX operator for it: every exporter refuses


model = Unexportable()
print(model(torch.ones(3, 4)).shape)
"""


def test_a_failed_build_is_a_row_with_its_stage_and_error(benchit, cache_dir, tmp_path):
    script = tmp_path / "unexportable.py"
    script.write_text(UNEXPORTABLE)
    proc = benchit(f"input.script={script}", *FAST)
    assert proc.returncode == 1
    out = benchit("report", "-o", str(tmp_path / "r.csv"), check=True).stdout
    assert "1 row (1 failed)" in out
    row = _read(tmp_path / "r.csv").iloc[0]
    assert row.build_name.startswith("unexportable_") and row.status == "failed" and row.build_status == "failed"
    assert row.failed_stage == "export_pytorch" and "export_pytorch failed" in row.error
    assert (row.model_name, row.author, row.task) == ("unexportable", "tests", "failure")
    assert not bool(row.onnx_exported) and pd.isna(row.mean_ms)


def _sweep_dirs(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "sweeps").iterdir())


def test_every_multirun_writes_a_summary_including_failed_jobs(benchit, cache_dir, tmp_path):
    hello = EXAMPLES / "hello_world.py"
    proc = benchit("-m", f"input.script={hello},{tmp_path / 'missing.py'}", *FAST)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a job failed
    (sweep,) = _sweep_dirs(cache_dir)
    summary = sweep / "summary.csv"
    assert f"Sweep summary (2 jobs, 1 with failures): {summary}" in proc.stdout
    df = _read(summary).set_index("job")
    assert df.status[0] == "benchmarked" and df.mean_ms[0] > 0 and df.build_name[0] == "hello_world_479b1332"
    assert (df.model_name[0], df.author[0]) == ("hello_world", "benchit")
    assert df.status[1] == "failed" and "script not found" in df.error[1]
    assert str(tmp_path / "missing.py") in df.overrides[1]
    # interrupted sweep / lost file: `benchit report SWEEP_DIR` rebuilds the same summary
    before = summary.read_text()
    summary.unlink()
    benchit("report", str(sweep), check=True)
    assert summary.read_text() == before


def _start(cache_dir: Path, cwd: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir)}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.Popen([sys.executable, "-m", "benchit", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("inputs", [("hello_world", "hello_world"), ("hello_world", "two_models")],
                         ids=["same_script", "different_scripts"])
def test_two_processes_on_one_cache(benchit, cache_dir, tmp_path, inputs):
    procs = [_start(cache_dir, tmp_path, f"input={name}", *FAST) for name in inputs]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, out + err
    # both runs' results are present
    results = [Path(re.search(r"Results: (\S+)", out).group(1)) / "results.json" for out, _ in outputs]
    assert results[0] != results[1] and all(r.is_file() for r in results)
    # no corrupt file: every YAML in the cache parses, no temp file is left
    for path in cache_dir.rglob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text()), (dict, list)), path
    assert not list(cache_dir.rglob("*.tmp"))
    benchit("report", "-o", str(tmp_path / "r.csv"), check=True)
    df = _read(tmp_path / "r.csv")
    expected = {"hello_world_479b1332"} | ({"two_models_479b1332", "two_models_215ca1e3"}
                                           if "two_models" in inputs else set())
    assert set(df.build_name) == expected
    assert (df.status == "benchmarked").all() and (df.mean_ms > 0).all()
