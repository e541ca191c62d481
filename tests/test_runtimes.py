"""Runtimes beside ONNX Runtime, and the figures every benchmark carries (issue 15), through the real CLI.

Each runtime benchmarks hello_world and a small CNN with the outputs validated against PyTorch's; memory,
load time and first call are recorded; torch.compile's recompilations are caught; batch-size sweeps make a
build config per batch size.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from helpers import QUICK, needs_gpu, require, run_benchit, stats_of_config, configs_of
from repo_paths import EXAMPLES

pytestmark = pytest.mark.slow

CNN = textwrap.dedent("""\
    # labels: name::small_cnn author::benchit task::image_classification
    import torch

    torch.manual_seed(0)


    class SmallCNN(torch.nn.Module):
        def __init__(self, width=8):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, width, 3, padding=1)
            self.pool = torch.nn.AdaptiveAvgPool2d(1)
            self.fc = torch.nn.Linear(width, 10)

        def forward(self, x):
            return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


    model = SmallCNN().eval()
    with torch.no_grad():
        print(model(torch.rand(8, 3, 32, 32)).shape)
    """)
# Two MLPs whose weights differ tenfold (about 4 MB and 40 MB of float32).
MLP = textwrap.dedent("""\
    import sys
    import torch

    width = int(sys.argv[1])
    model = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.ReLU(), torch.nn.Linear(width, 8)).eval()
    with torch.no_grad():
        model(torch.rand(1, width))
    """)
# A model whose forward reads a counter it changes: torch.compile guards on it and recompiles call after call.
RECOMPILES = textwrap.dedent("""\
    import torch


    class Counter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 4)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return self.fc(x) * self.calls


    model = Counter()
    model(torch.rand(2, 4))
    """)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runtime_scripts")
    for name, text in (("cnn.py", CNN), ("mlp.py", MLP), ("recompiles.py", RECOMPILES)):
        (folder / name).write_text(text)
    return folder


RUNTIMES = ["ort", "torch", "torch_compile", "openvino"]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("script", ["hello_world", "cnn"])
def test_each_runtime_benchmarks_with_validated_outputs(runtime, script, scripts, tmp_path):
    if runtime == "openvino":
        require("openvino", "the openvino extra")
    path = EXAMPLES / "hello_world.py" if script == "hello_world" else scripts / "cnn.py"
    cache = tmp_path / "cache"
    proc = run_benchit(f"input.script={path}", f"device.runtime={runtime}", *QUICK, cache_dir=cache, cwd=tmp_path)
    assert "Model successfully benchmarked" in proc.stdout, proc.stdout
    (model,) = {name for name, _ in configs_of(cache)}
    bench = stats_of_config(cache, model)["benchmarks"][f"x86/{runtime}"]
    assert bench["runtime"] == runtime and bench["runtime_version"]
    assert bench["validation"]["ok"], bench["validation"]  # the runtime's outputs match PyTorch's
    assert bench["load_ms"] > 0 and bench["first_call_ms"] > 0
    assert bench["memory"]["peak_rss_total_mb"] > 0 and bench["memory"]["peak_rss_mb"] >= 0
    assert bench["latency"]["iterations"] >= 10 and bench["latency"]["median_ms"] > 0
    if script == "cnn":  # a batch of 8: samples per second beside calls per second
        assert bench["batch_size"] == 8
        assert bench["samples_per_second"] == pytest.approx(8 * bench["throughput_ips"])
        assert "samples per second (batch of 8)" in proc.stdout


def test_memory_grows_with_a_model_ten_times_larger(scripts, tmp_path):
    peaks = {}
    for width in (1000, 3162):  # 4 MB and 40 MB of weights
        cache = tmp_path / f"cache{width}"
        run_benchit(f"input.script={scripts / 'mlp.py'}", f"input.script_args={width}", "sequence=export_only",
                    *QUICK, cache_dir=cache, cwd=tmp_path)
        (model,) = {name for name, _ in configs_of(cache)}
        peaks[width] = stats_of_config(cache, model)["benchmarks"]["x86/ort"]["memory"]["peak_rss_mb"]
    assert peaks[1000] > 0
    assert peaks[3162] > 3 * peaks[1000], peaks


def test_a_recompiling_model_is_not_reported_as_measured(scripts, tmp_path):
    proc = run_benchit(f"input.script={scripts / 'recompiles.py'}", "device.runtime=torch_compile", *QUICK,
                       cache_dir=tmp_path / "cache", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "torch.compile recompiled" in proc.stdout and "device.compile.dynamic=true" in proc.stdout


def test_batch_size_sweep_keeps_a_build_config_per_batch(scripts, tmp_path):
    cache = tmp_path / "cache"
    run_benchit("-m", f"input.script={scripts / 'cnn.py'}", "batch_size=1,4", "sequence=export_only", *QUICK,
                cache_dir=cache, cwd=tmp_path)
    configs = sorted(config for _, config in configs_of(cache))
    assert len(configs) == 2 and any("-bs1-" in c for c in configs) and any("-bs4-" in c for c in configs)
    (model,) = {name for name, _ in configs_of(cache)}
    per_batch = {}
    for config in configs:
        bench = stats_of_config(cache, model, config)["benchmarks"]["x86/ort"]
        per_batch[bench["batch_size"]] = bench["samples_per_second"]
    assert set(per_batch) == {1, 4} and per_batch[1] != per_batch[4]
    report = run_benchit("report", "--compare", "batch_size", cache_dir=cache, cwd=tmp_path)
    assert "batch_size=1" in report.stdout and "batch_size=4" in report.stdout and "/s" in report.stdout


def test_a_model_without_a_batch_dimension_gets_one_clear_line(tmp_path):
    proc = run_benchit("input=two_models", "batch_size=4", *QUICK, cache_dir=tmp_path / "cache", cwd=tmp_path,
                       check=False)
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if "has no batch dimension" in line]
    assert len(lines) == 2 and all("batch_size=4" in line for line in lines), proc.stdout


def test_openvino_without_the_extra_names_the_extra(tmp_path):
    # The parent checks the device before any work; with `openvino` not importable it says what to install.
    code = ("import sys; sys.modules['openvino'] = None; from benchit.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    import subprocess

    from helpers import benchit_env

    proc = subprocess.run([sys.executable, "-c", code, "device.runtime=openvino"], cwd=tmp_path,
                          env=benchit_env(tmp_path / "cache"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pip install 'benchit[openvino]'" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_speedup_vs_torch_and_compare_runtime(tmp_path):
    cache = tmp_path / "cache"
    run_benchit("-m", "input=hello_world", "device.runtime=torch,ort", "sequence=export_only", *QUICK,
                cache_dir=cache, cwd=tmp_path)
    out = tmp_path / "report.csv"
    report = run_benchit("report", "--compare", "runtime", "-o", str(out), cache_dir=cache, cwd=tmp_path)
    assert "runtime=torch" in report.stdout and "runtime=ort" in report.stdout
    import csv

    rows = list(csv.DictReader(out.open()))
    ort = next(r for r in rows if r["runtime"] == "ort")
    assert float(ort["speedup_vs_torch"]) > 0


@needs_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("runtime", ["ort", "torch", "torch_compile"])
def test_nvidia_runtimes_record_device_memory(runtime, tmp_path):
    cache = tmp_path / "cache"
    run_benchit("device=nvidia", f"device.runtime={runtime}", *QUICK, cache_dir=cache, cwd=tmp_path)
    (model,) = {name for name, _ in configs_of(cache)}
    bench = stats_of_config(cache, model)["benchmarks"][f"nvidia/{runtime}"]
    assert bench["validation"]["ok"]
    if runtime != "ort":
        assert bench["memory"]["device_memory_mb"] > 0
