"""The spine: `benchit input=hello_world` end to end, both CLI forms, multirun, help, errors.

The fast tier runs the cold end-to-end smoke (test_hello_world_hydra_form) and the quick checks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from helpers import EXAMPLES, HELLO, QUICK, build_dir, copy_cache, records, results_dir
from helpers import state as read_state
from helpers import stats as read_stats

HELLO_STAGES = ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]


def _latency_and_throughput(text: str) -> tuple[float, float]:
    latency = float(re.search(r"Mean Latency:\s+([0-9.e+-]+)\s+milliseconds", text).group(1))
    throughput = float(re.search(r"Throughput:\s+([0-9.]+)\s+inferences per second", text).group(1))
    return latency, throughput


def _check_hello_world_cache(cache_dir):
    build = build_dir(cache_dir)
    state = read_state(cache_dir)
    assert state["build_status"] == "successful"
    assert state["sequence"] == HELLO_STAGES
    for stage in HELLO_STAGES:
        assert (build / f"log_{stage}.txt").exists()
    onnx_files = sorted((build / "onnx").glob("*.onnx"))
    assert onnx_files, "the build has no ONNX files"
    import onnxruntime as ort

    for path in onnx_files:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert (build / "inputs.npz").exists()
    assert read_stats(cache_dir)["benchmarks"]["x86/ort"]["latency"]["mean_ms"] > 0


def test_hello_world_hydra_form(benchit, cache_dir):
    """The smoke test of the whole flow (the fast tier runs it): a cold build, a benchmark, the tree, the cache."""
    proc = benchit("input=hello_world", check=True)
    out = proc.stdout
    assert "Models discovered during profiling:" in out
    assert "hello_world.py:" in out
    assert "pytorch_model (executed 1x)" in out
    assert "Parameters:\t55 (<0.1 MB)" in out
    assert "Hash:\t\t479b1332" in out
    assert "Class:\t\tSmallModel (<class 'hello_world.SmallModel'>)" in out
    assert re.search(r"Location:\s+.*hello_world\.py, line 29", out)
    assert "Model successfully benchmarked on" in out
    latency, throughput = _latency_and_throughput(out)
    assert latency > 0 and throughput > 0
    # the script's own output comes after the tree, then the closing line
    assert out.index("Hash:") < out.index("pytorch_outputs: tensor(") < out.index("Woohoo!")
    assert "\x1b[" not in out, "no colour codes when stdout is not a terminal"
    assert "torchvision" not in proc.stdout + proc.stderr, "exporter chatter belongs in the stage log"
    _check_hello_world_cache(cache_dir)
    results_dir = re.search(r"Results: (\S+)", out).group(1)
    results = json.loads(open(f"{results_dir}/results.json").read())
    assert results["scripts"][0]["status"] == "benchmarked"


def test_no_arguments_runs_the_default_config(benchit, hello_cache):
    proc = benchit(*QUICK, check=True)
    assert "Hash:\t\t479b1332" in proc.stdout
    assert "Model successfully benchmarked" in proc.stdout
    assert records(proc)[HELLO]["from_cache"] is True  # hello_world by the default sequence: the build there


@pytest.mark.slow
def test_tutorial_form_with_cache_dir_and_device(benchit, hello_built, tmp_path, cache_dir):
    # --cache-dir names the cache: the build is found there (the environment's cache is another, empty one)
    copy_cache(hello_built, tmp_path / "tmp_cache")
    script = EXAMPLES / "hello_world.py"
    proc = benchit("benchmark", str(script), "--cache-dir", "tmp_cache", "--device", "x86", *QUICK, check=True)
    assert "Hash:\t\t479b1332" in proc.stdout
    assert records(proc)[HELLO]["from_cache"] is True and results_dir(proc).parent.parent == tmp_path / "tmp_cache"
    # the shorthand without the `benchmark` word is the same run
    proc = benchit(str(script), "--cache-dir", "tmp_cache", *QUICK, check=True)
    assert "Model successfully benchmarked" in proc.stdout and records(proc)[HELLO]["from_cache"] is True
    assert not cache_dir.exists()


@pytest.mark.slow
def test_cache_dir_override_and_env(benchit, hello_built, tmp_path, cache_dir):
    copy_cache(hello_built, tmp_path / "elsewhere")
    proc = benchit("input=hello_world", f"cache.dir={tmp_path / 'elsewhere'}", *QUICK, check=True)
    assert records(proc)[HELLO]["from_cache"] is True and results_dir(proc).parent.parent == tmp_path / "elsewhere"
    assert not cache_dir.exists(), "cache.dir wins over $BENCHIT_CACHE_DIR"


def test_multirun_over_sequences_records_two_jobs(benchit, hello_cache, cache_dir):
    proc = benchit("-m", "device=x86", "sequence=default,export_only", *QUICK, check=True)
    sweeps = list((cache_dir / "sweeps").iterdir())
    assert len(sweeps) == 1
    jobs = sorted(p for p in sweeps[0].iterdir() if p.is_dir() and p.name.isdigit())
    assert [p.name for p in jobs] == ["0", "1"]
    sequences = []
    for job in jobs:
        results = json.loads((job / "results.json").read_text())
        assert results["scripts"][0]["status"] == "benchmarked"
        sequences.append(results["config"]["sequence"]["name"])
    assert sequences == ["default", "export_only"]
    assert proc.stdout.count("Model successfully benchmarked") == 2


def test_cfg_job_prints_the_composed_config(benchit):
    proc = benchit("--cfg", "job", "--resolve", "device=x86", check=True)
    config = yaml.safe_load(proc.stdout)
    assert config["device"]["_target_"] == "benchit.devices.x86.X86Device"
    assert config["input"]["script"].endswith("hello_world.py")
    assert config["mode"] == "benchmark"


def test_help_and_version_do_not_import_torch():
    code = (
        "import sys\n"
        "from benchit.cli import main\n"
        "for argv in (['--help'], ['version']):\n"
        "    assert main(argv) == 0\n"
        "heavy = [m for m in ('torch', 'tensorflow', 'onnxruntime', 'hydra') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout
    for group in ("input=", "device=", "sequence=", "cache=", "+experiment="):
        assert group in proc.stdout
    assert "hello_world" in proc.stdout and "export_only" in proc.stdout and "nvidia" in proc.stdout


def test_version(benchit):
    from benchit.version import __version__

    proc = benchit("version", check=True)
    assert proc.stdout.strip() == f"benchit {__version__}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, expected",
    [
        (["input.script=does/not/exist.py"], "script not found: does/not/exist.py"),
        (["input.script=" + str(EXAMPLES)], "not a Python script"),
        (["device=tpu"], "unknown device 'tpu' (available: nvidia, x86"),
        (["sequence=nope"], "unknown sequence 'nope'"),
        (["input.scrpt=x.py"], "input.scrpt: no such key (did you mean script? keys there: script, scripts,"),
        (["device.measurement.min_secs=2"], "device.measurement.min_secs: no such key (did you mean min_seconds?"),
        (["device.provider_options.x=1"], "no such key; +device.provider_options.x=VALUE adds it"),
        (["mode=fast"], "mode=fast: Invalid value 'fast', expected one of [analyze, build, benchmark]"),
        (["max_depth=x"], "max_depth=x: Value 'x' of type 'str' could not be converted to Integer"),
        (["benchmark", "missing.py"], "script not found"),
        (["benchmark", str(EXAMPLES / "hello_world.py"), "--no-such-flag"], "unknown flag --no-such-flag"),
        (["--frobnicate", "device=x86"], "unknown flag --frobnicate"),
    ],
)
def test_bad_input_is_one_clear_line(benchit, cache_dir, args, expected):
    proc = benchit(*args)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("benchit: error:")
    assert expected in errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    builds = [p for p in cache_dir.iterdir() if p.name not in ("runs",)] if cache_dir.exists() else []
    assert builds == []


@pytest.mark.slow
def test_script_without_models_says_so(benchit, tmp_path):
    script = tmp_path / "plain.py"
    script.write_text("print('no models here')\n")
    proc = benchit(f"input.script={script}")
    assert "no PyTorch or Keras model was called by this script" in proc.stdout
    assert "no models here" in proc.stdout


def test_runs_without_any_hydra_launcher_plugin_installed(tmp_path):
    """A fresh install has no `hydra_plugins` package (no joblib/submitit launcher): benchit still starts."""
    code = (
        "import sys\n"
        "sys.modules['hydra_plugins'] = None  # as if no launcher plugin were installed\n"
        "from benchit.cli import main\n"
        "sys.exit(main(['--cfg', 'job']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "_target_: benchit.devices.x86.X86Device" in proc.stdout


def test_a_launcher_that_is_not_installed_names_its_extra(tmp_path, cache_dir):
    code = (
        "import sys\n"
        "sys.modules['hydra_plugins.hydra_joblib_launcher'] = None  # as if the joblib extra were missing\n"
        "from benchit.cli import main\n"
        "sys.exit(main(['-m', 'hydra/launcher=joblib', 'mode=analyze']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir)})
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == (
        "benchit: error: this launcher needs hydra_joblib_launcher, which is not installed: "
        "pip install 'benchit[joblib]'")
