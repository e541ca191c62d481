"""A build per build config (issue 13): sweeps keep everything side by side, with the real CLI.

Every sequence (and batch size) of a sweep keeps its own build, logs and benchmarks; rerunning reuses it;
parallel jobs never lose each other's files; a new config says what differs from the model's newest one; a
cache written by an older benchit is rebuilt with a reason, never a crash.
"""

from __future__ import annotations

import csv
import textwrap

import pytest
import yaml

from helpers import HELLO, QUICK, configs_of, run_benchit, state_of_config, stats_of_config

pytestmark = pytest.mark.slow


def test_a_sequence_sweep_keeps_both_builds_and_compare_shows_them(tmp_path):
    cache = tmp_path / "cache"
    run_benchit("-m", "input=hello_world", "sequence=default,export_only", *QUICK, cache_dir=cache, cwd=tmp_path)
    configs = {config for name, config in configs_of(cache) if name == HELLO}
    assert {c.split("-")[0] for c in configs} == {"default", "export_only"}, configs
    for config in configs:
        state = state_of_config(cache, HELLO, config)
        assert state["build_status"] == "successful"
        assert "x86/ort" in stats_of_config(cache, HELLO, config)["benchmarks"]
    sequences = {state_of_config(cache, HELLO, c)["config"]["sequence_name"]: state_of_config(cache, HELLO, c)
                 for c in configs}
    assert sequences["export_only"]["sequence"] == ["export_pytorch", "set_success"]
    assert sequences["default"]["sequence"] == ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]
    report = run_benchit("report", "--compare", "sequence", cache_dir=cache, cwd=tmp_path)
    assert "sequence=default" in report.stdout and "sequence=export_only" in report.stdout
    line = next(line for line in report.stdout.splitlines() if line.startswith(HELLO))
    assert "x)" in line  # the ratio of the second config to the first
    again = run_benchit("-m", "input=hello_world", "sequence=default,export_only", *QUICK, cache_dir=cache,
                        cwd=tmp_path)
    assert again.stdout.count("(build reused from cache)") == 2


def test_a_new_build_config_says_what_differs(tmp_path):
    cache = tmp_path / "cache"
    run_benchit("input=hello_world", "mode=build", cache_dir=cache, cwd=tmp_path)
    run_benchit("input=hello_world", "mode=build", "sequence.stages.optimize.level=extended", cache_dir=cache,
                cwd=tmp_path)
    newest = configs_of(cache)[0][1]
    reason = state_of_config(cache, HELLO, newest)["rebuild_reason"]
    assert "a new build config beside default-" in reason and "optimize_onnx.level basic -> extended" in reason


def test_parallel_jobs_of_one_model_lose_nothing(tmp_path):
    """Two sequences of one model built and benchmarked at once (joblib, 2 processes), again and again."""
    cache = tmp_path / "cache"
    for round_ in range(4):
        proc = run_benchit("-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "input=hello_world",
                           "sequence=default,export_only", "cache.rebuild=always", *QUICK, cache_dir=cache,
                           cwd=tmp_path)
        assert proc.stdout.count("Model successfully benchmarked") == 2, (round_, proc.stdout)
        assert "error" not in proc.stderr.lower(), proc.stderr
    configs = [config for name, config in configs_of(cache) if name == HELLO]
    assert len(configs) == 2
    for config in configs:
        state = state_of_config(cache, HELLO, config)
        assert state["build_status"] == "successful"
        build = cache / HELLO / config
        for artifact, size in state["artifact_bytes"].items():
            assert (build / artifact).stat().st_size == size, artifact
        assert stats_of_config(cache, HELLO, config)["benchmarks"]["x86/ort"]["latency"]["iterations"] >= 10
    stats = run_benchit("cache", "stats", HELLO, cache_dir=cache, cwd=tmp_path)
    assert "Warning" not in stats.stderr


def test_summary_rows_tell_each_script_and_model_apart(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("import torch\nm = torch.nn.Linear(4, 2)\nm(torch.rand(1, 4))\n")
    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""\
        import torch

        class Unexportable(torch.nn.Module):
            def forward(self, x):
                return torch.linalg.svd(x)[0]

        Unexportable()(torch.rand(3, 3))
        """))
    cache = tmp_path / "cache"
    proc = run_benchit("-m", f"input.scripts=[{good},{bad}]", "sequence=default,export_only", *QUICK,
                       cache_dir=cache, cwd=tmp_path, check=False)
    assert proc.returncode == 1
    summary = next((cache / "sweeps").glob("*/summary.csv"))
    rows = list(csv.DictReader(summary.open()))
    assert len(rows) == 4, rows  # 2 jobs x 2 scripts x 1 model each
    by_script = {}
    for row in rows:
        by_script.setdefault(row["script"].rsplit("/", 1)[-1], []).append(row)
    assert {r["status"] for r in by_script["good.py"]} == {"benchmarked"}
    assert {r["status"] for r in by_script["bad.py"]} == {"failed"}
    assert all("export_pytorch failed" in r["error"] for r in by_script["bad.py"])
    assert all(r["failed_stage"] == "export_pytorch" and r["log"].endswith("log_export_pytorch.txt")
               for r in by_script["bad.py"])
    # the sweep's end says what failed and where to look, on the console too
    failures = [line for line in proc.stdout.splitlines() if "failed at export_pytorch" in line]
    assert len(failures) == 2 and all("log_export_pytorch.txt" in line for line in failures), proc.stdout


def test_the_csv_carries_median_unstable_and_samples_per_second(tmp_path):
    script = tmp_path / "cnn.py"
    script.write_text("import torch\nm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten()).eval()\n"
                      "m(torch.rand(8, 3, 16, 16))\n")
    cache = tmp_path / "cache"
    run_benchit(f"input.script={script}", "sequence=export_only", *QUICK, cache_dir=cache, cwd=tmp_path)
    out = tmp_path / "report.csv"
    run_benchit("report", "-o", str(out), cache_dir=cache, cwd=tmp_path)
    (row,) = list(csv.DictReader(out.open()))
    assert float(row["median_ms"]) > 0 and float(row["mean_ms"]) > 0
    assert row["unstable"] in ("True", "False")
    assert row["unstable"] == "False" or row["unstable_reason"]
    assert row["batch_size"] == "8"
    assert float(row["samples_per_second"]) == pytest.approx(8 * float(row["throughput_ips"]), rel=1e-6)
    summary_cols = {"median_ms", "unstable", "unstable_reason", "samples_per_second"}
    run_benchit("-m", f"input.script={script}", "sequence=export_only", *QUICK, cache_dir=cache, cwd=tmp_path)
    summary = next((cache / "sweeps").glob("*/summary.csv"))
    assert summary_cols <= set(next(csv.DictReader(summary.open())))


def test_an_older_benchits_build_is_reported_then_rebuilt_with_a_reason(tmp_path):
    cache = tmp_path / "cache"
    legacy = cache / HELLO
    (legacy / "onnx").mkdir(parents=True)
    (legacy / f"{HELLO}_state.yaml").write_text(yaml.safe_dump({"state_version": 1, "build_status": "successful",
                                                                 "config": {"sequence": ["export_pytorch"]}}))
    (legacy / "onnx" / f"{HELLO}.onnx").write_bytes(b"old")
    report = run_benchit("report", cache_dir=cache, cwd=tmp_path)
    assert "1 broken" in report.stdout and "state_version 1" in report.stderr
    proc = run_benchit("input=hello_world", *QUICK, cache_dir=cache, cwd=tmp_path)
    assert "Model successfully benchmarked" in proc.stdout
    assert not (legacy / f"{HELLO}_state.yaml").exists() and not (legacy / "onnx").exists()
    (config,) = [c for name, c in configs_of(cache) if name == HELLO]
    assert "older benchit" in state_of_config(cache, HELLO, config)["rebuild_reason"]
    assert "broken" not in run_benchit("report", cache_dir=cache, cwd=tmp_path).stdout
