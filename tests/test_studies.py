"""Studies at scale: corpus runs, per-script isolation and timeouts, resume, labels, sweeps and launchers.

The corpus (tests/data/corpus) holds two good scripts among a crashing, an exiting, a hanging (with a
grandchild), a killed and a model-less one. End-to-end tests run the real `benchit` command.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

import benchit as benchit_api  # the `benchit` fixture (the CLI) shadows the name in tests
from benchit.cli import translate_tutorial_args
from benchit.analysis.inputs import InputError, read_labels, select_by_labels
from benchit.config.schema import BenchitConfig, Mode
from benchit.records import ScriptRecord, Status
from benchit.runner.resume import config_fingerprint
from benchit.ui.console import Console
from helpers import EXAMPLES, FAST, HAS_GPU, REPO, build_dir, model_hash, pid_alive, require

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
# The same, measured a little longer: another config, so --resume must not skip.
OTHER = [a for a in FAST if "min_seconds" not in a] + ["device.measurement.min_seconds=0.06"]


def _results_dir(stdout: str) -> Path:
    return Path(re.findall(r"^Results: (\S+)$", stdout, re.M)[-1])


def _sweep_dir(cache_dir: Path) -> Path:
    sweeps = sorted((cache_dir / "sweeps").iterdir())
    assert len(sweeps) == 1, sweeps
    return sweeps[0]


def _job_results(sweep: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(sweep.glob("*/results.json"))}


# ---------------------------------------------------------------- fast: no benchit run
def test_labels_are_read_from_the_first_line():
    assert read_labels(CORPUS / "good_mlp.py") == {"name": "good_mlp", "author": "someone", "kind": "good"}
    assert read_labels(Path(__file__)) == {}


def test_label_selection_ands_keys_and_ors_values():
    scripts = sorted(CORPUS.glob("*.py"))
    names = lambda wanted: [p.name for p in select_by_labels(scripts, wanted)]  # noqa: E731
    assert names(["kind::good"]) == ["good_linear.py", "good_mlp.py"]
    assert names(["kind::good", "author::someone"]) == ["good_mlp.py"]
    assert names(["kind::crash", "kind::exit"]) == ["crashes.py", "exits.py"]
    assert names(["kind::crash,exit"]) == ["crashes.py", "exits.py"]
    assert names([]) == [p.name for p in scripts]
    with pytest.raises(InputError, match="no script has the labels kind::nothing"):
        select_by_labels(scripts, ["kind::nothing"])
    with pytest.raises(InputError, match="key::value"):
        select_by_labels(scripts, ["justaword"])


def test_fingerprint_tracks_what_changes_results(tmp_path):
    import dataclasses

    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    config = BenchitConfig()
    config.cache.dir, config.timeout = "a", 10
    base = config_fingerprint(config, script)

    def changed(**changes):
        other = dataclasses.replace(config, **changes)
        return config_fingerprint(other, script)

    other_cache = dataclasses.replace(config.cache, dir="b")
    assert changed(cache=other_cache, timeout=99) == base
    assert changed(device=dataclasses.replace(config.device, name="nvidia")) != base
    assert changed(sequence=dataclasses.replace(config.sequence, name="export_only")) != base
    assert changed(mode=Mode.build) != base
    assert changed(batch_size=8) != base
    script.write_text("print(2)\n")
    assert config_fingerprint(config, script) != base, "an edited script runs again"


def test_summary_line_counts_outcomes():
    statuses = [Status.BENCHMARKED, Status.BENCHMARKED, Status.NO_MODELS, Status.FAILED, Status.TIMED_OUT,
                Status.KILLED, Status.SKIPPED]
    records = [ScriptRecord(script=f"{n}.py", status=status) for n, status in enumerate(statuses)]
    line = Console(None, Mode.benchmark).summary_line(records)
    assert line == "7 scripts: 2 benchmarked, 1 without models, 1 skipped, 1 failed, 1 timed out, 1 killed"
    assert Console(None, Mode.build).summary_line([ScriptRecord("a.py", status=Status.BUILT)]) == "1 script: 1 built"


def test_tutorial_flags_for_corpus_runs():
    overrides = translate_tutorial_args(["--all", "-s", str(CORPUS), "--resume", "--timeout", "30",
                                         "--labels", "kind::good", "author::someone"])
    assert f"input.search_dir='{CORPUS}'" in overrides
    assert "input.script=null" in overrides
    assert "resume=true" in overrides and "timeout=30.0" in overrides
    assert "input.labels=['kind::good','author::someone']" in overrides
    # --labels takes several values; overrides after it stay overrides
    overrides = translate_tutorial_args(["--all", "-s", str(CORPUS), "--labels", "kind::good", "sequence=export_only"])
    assert "input.labels=['kind::good']" in overrides and overrides[-1] == "sequence=export_only"
    # several scripts at once, and a script found in the search dir
    overrides = translate_tutorial_args(["good_mlp.py", "exits.py", "-s", str(CORPUS)])
    assert f"input.scripts=['{CORPUS / 'good_mlp.py'}','{CORPUS / 'exits.py'}']" in overrides


# What each checked-in experiment sweeps (its question, docs/studies.md): the sweep's parameters and launcher.
EXPERIMENTS = {
    "build_then_benchmark": ({"device": ["x86", "nvidia"], "sequence": ["optimize_fp32", "default"]}, "two_phase"),
    "every_device": ({"device": ["x86", "nvidia"]}, "basic"),
    "every_sequence": ({"sequence": ["export_only", "optimize_fp32", "default"]}, "basic"),
    "fp32_vs_fp16": ({"sequence": ["optimize_fp32", "default"]}, "basic"),
}


def test_every_experiment_is_checked():
    assert sorted(EXPERIMENTS) == sorted(p.stem for p in (REPO / "conf" / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("experiment", sorted(EXPERIMENTS))
def test_experiment_sweeps_what_it_says(benchit, experiment):
    """The composed Hydra config of `benchit +experiment=X`: a multirun over exactly these parameters, with this
    launcher; and every job of the sweep composes, each value a real option, over every example."""
    params, launcher = EXPERIMENTS[experiment]
    proc = benchit(f"+experiment={experiment}", "--cfg", "hydra", check=True)
    hydra = yaml.safe_load(proc.stdout)["hydra"]
    assert hydra["mode"] == "MULTIRUN"
    swept = {key: value.split(",") if isinstance(value, str) else list(value)
             for key, value in hydra["sweeper"]["params"].items()}
    assert swept == params
    assert hydra["runtime"]["choices"]["hydra/launcher"] == launcher
    for values in itertools.product(*params.values()):
        job = dict(zip(params, values))
        config = benchit_api.compose_config([f"+experiment={experiment}", *(f"{k}={v}" for k, v in job.items())])
        for key, value in job.items():
            assert getattr(config, key).name == value, (job, key)
        assert config.input.search_dir == str(EXAMPLES) and config.mode == Mode.benchmark


# ---------------------------------------------------------------- end to end
@pytest.mark.slow
def test_corpus_run_isolates_every_script_then_resume_skips_finished_ones(benchit, cache_dir, tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    proc = benchit("benchmark", "--all", "-s", str(CORPUS), "--timeout", "25", *FAST,
                   env={"BENCHIT_TEST_PIDFILE": str(pidfile)})
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "benchit: 7 scripts: 2 benchmarked, 1 without models, 2 failed, 1 timed out, 1 killed" in out
    assert "Woohoo!" not in out
    assert "Error: timed out after 25 s" in out
    assert "Error: killed by signal 9 (out of memory?)" in out
    assert "Error: the script exited with code 3" in out
    assert "Error: the script raised: RuntimeError: this script crashes on purpose" in out
    assert "Note: no PyTorch or Keras model was called by this script" in out
    assert out.count("Model successfully benchmarked") == 3  # the crashing script's model was benchmarked too
    assert "Traceback" not in out + proc.stderr
    assert "\x1b[" not in out + proc.stderr, "progress only on a terminal"
    # the hanging script's grandchild was ended with it
    grandchild = int(pidfile.read_text())
    assert not pid_alive(grandchild), "the timed-out script's grandchild is still running"
    results = json.loads((_results_dir(out) / "results.json").read_text())
    assert results["status"] == "failed"
    assert {Path(s["script"]).name: s["status"] for s in results["scripts"]} == {
        "crashes.py": "failed", "exits.py": "failed", "good_linear.py": "benchmarked", "good_mlp.py": "benchmarked",
        "hangs.py": "timed out", "killed.py": "killed", "no_models.py": "no models"}

    # --resume: the finished scripts are skipped (their recorded tree is shown), the failed one runs again
    proc = benchit("benchmark", "--all", "-s", str(CORPUS), "--resume", "--labels", "kind::good", "kind::crash",
                   "kind::plain", *FAST)
    out = proc.stdout
    assert "benchit: 4 scripts: 3 skipped, 1 failed" in out, out
    assert out.count("Note: skipped (resume)") == 3
    import torch

    assert f"Hash:\t\t{model_hash(torch.nn.Linear(8, 4))}" in out, "a skipped script still shows its recorded results"
    assert proc.returncode == 1
    # the Hydra form; a different config is not the same work: everything runs again
    proc = benchit("input.search_dir=" + str(CORPUS), "input.script=null", "resume=true", "input.labels=[kind::good]",
                   *OTHER, check=True)
    assert "benchit: 2 scripts: 2 benchmarked" in proc.stdout
    assert "Woohoo!" in proc.stdout
    # a build deleted from the cache since: that script runs again, the other is skipped
    shutil.rmtree(build_dir(cache_dir, f"good_linear_{model_hash(torch.nn.Linear(8, 4))}"))
    proc = benchit("input.search_dir=" + str(CORPUS), "input.script=null", "resume=true", "input.labels=[kind::good]",
                   *OTHER, check=True)
    assert "benchit: 2 scripts: 1 benchmarked, 1 skipped" in proc.stdout


@pytest.mark.slow
def test_label_selection_and_several_scripts_end_to_end(benchit):
    proc = benchit("benchmark", "--all", "-s", str(CORPUS), "--labels", "author::someone", "--analyze-only",
                   check=True)
    assert "good_mlp.py:" in proc.stdout and "good_linear.py:" not in proc.stdout
    # a glob in the Hydra form, restricted by labels
    proc = benchit(f"input.scripts=['{CORPUS}/good_*.py','{CORPUS}/no_models.py']", "input.script=null",
                   "mode=analyze", check=True)
    assert "benchit: 3 scripts: 2 analyzed, 1 without models" in proc.stdout
    proc = benchit("benchmark", "--all", "-s", str(CORPUS), "--labels", "kind::nothing", "--analyze-only")
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [line for line in proc.stderr.strip().splitlines()
                                                if line.startswith("benchit: error: no script has the labels")]


@pytest.mark.slow
@pytest.mark.skipif(HAS_GPU, reason="needs a machine without an NVIDIA GPU, so that the nvidia job fails")
def test_sweep_with_a_failing_job_costs_only_that_job(benchit, cache_dir):
    proc = benchit("-m", "device=x86,nvidia", "sequence=default,export_only", "input=hello_world,two_models",
                   *FAST[1:])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("benchit: error:")]
    assert len(errors) == 4 and all("device=nvidia" in line for line in errors), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    jobs = _job_results(_sweep_dir(cache_dir))
    assert len(jobs) == 8
    by_device = {}
    for results in jobs.values():
        by_device.setdefault(results.get("status"), 0)
        by_device[results.get("status")] += 1
    assert by_device == {"ok": 4, "failed": 4}
    rows = list(csv.DictReader((_sweep_dir(cache_dir) / "summary.csv").open()))  # every job listed
    assert len({row["job"] for row in rows}) == 8
    failed = {row["job"] for row in rows if row["status"] == "failed"}
    assert len(failed) == 4 and all("device=nvidia" in row["overrides"] for row in rows if row["job"] in failed)
    assert all(row["status"] == "benchmarked" for row in rows if row["job"] not in failed)


@pytest.mark.slow
def test_joblib_launcher_sweep(benchit, cache_dir):
    require("hydra_plugins.hydra_joblib_launcher", "the joblib extra, a dev dependency")
    args = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "input=hello_world,two_models", "mode=build"]
    proc = benchit(*args, "sequence=export_only")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sweep = _sweep_dir(cache_dir)
    jobs = _job_results(sweep)
    assert sorted(jobs) == ["0", "1"], "both jobs write into the one sweep dir"
    assert all(r["status"] == "ok" for r in jobs.values())
    assert build_dir(cache_dir, "two_models_215ca1e3").is_dir()
    rows = list(csv.DictReader((sweep / "summary.csv").open()))  # the jobs ran in other processes: still listed
    assert sorted({row["job"] for row in rows}) == ["0", "1"] and {row["status"] for row in rows} == {"built"}


@pytest.mark.slow
@pytest.mark.skipif(HAS_GPU, reason="needs a machine without an NVIDIA GPU, so that the nvidia job fails")
def test_joblib_sweep_with_a_failing_job_exits_non_zero(benchit, cache_dir):
    """The jobs run in other processes: the exit code comes from their results, not from this process."""
    require("hydra_plugins.hydra_joblib_launcher", "the joblib extra, a dev dependency")
    proc = benchit("-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "device=x86,nvidia", *FAST)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "device=nvidia" in proc.stderr


@pytest.mark.slow
def test_submitit_local_launcher_sweep(benchit, cache_dir):
    require("hydra_plugins.hydra_submitit_launcher", "the slurm extra, a dev dependency")
    proc = benchit("-m", "hydra/launcher=submitit_local", "input=hello_world,two_models", "mode=build",
                   "sequence=export_only", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sweep = _sweep_dir(cache_dir)
    jobs = _job_results(sweep)
    assert sorted(jobs) == ["0", "1"]
    assert all(r["status"] == "ok" for r in jobs.values())
    assert (sweep / ".submitit").is_dir()
    assert build_dir(cache_dir, "hello_world_479b1332").is_dir()
    assert build_dir(cache_dir, "two_models_215ca1e3").is_dir()
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert sorted({row["job"] for row in rows}) == ["0", "1"] and {row["status"] for row in rows} == {"built"}


@pytest.mark.slow
def test_two_phase_launcher_builds_in_parallel_then_benchmarks_from_the_cache(benchit, cache_dir):
    proc = benchit("-m", "hydra/launcher=two_phase", "hydra.launcher.build.n_jobs=2", "input=hello_world,two_models",
                   *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Phase 1 of 2" in proc.stdout + proc.stderr and "Phase 2 of 2" in proc.stdout + proc.stderr
    sweep = _sweep_dir(cache_dir)
    built = {p.parent.name: json.loads(p.read_text()) for p in sweep.glob("build/*/results.json")}
    assert sorted(built) == ["0", "1"]
    assert all(r["config"]["mode"] == "build" and r["status"] == "ok" for r in built.values())
    measured = _job_results(sweep)
    assert sorted(measured) == ["0", "1"]
    invocations = [inv for r in measured.values() for s in r["scripts"] for m in s["models"]
                   for inv in m["invocations"]]
    assert len(invocations) == 3
    assert all(inv["status"] == "benchmarked" and inv["from_cache"] for inv in invocations), invocations


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
                    reason="hydra-ray-launcher is not installed (pip install -e '.[ray]' in its own venv: it "
                           "downgrades cloudpickle and joblib); recipe in docs/studies.md")
def test_ray_launcher_sweep(benchit, cache_dir):
    proc = benchit("-m", "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2", "input=hello_world,two_models",
                   "mode=build", "sequence=export_only", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(_job_results(_sweep_dir(cache_dir))) == ["0", "1"]


@pytest.mark.parametrize("launcher, key", [("submitit_slurm", "partition"), ("two_phase", "build"),
                                           ("joblib", "n_jobs")])
def test_launcher_configs_compose(benchit, launcher, key):
    """`benchit -m hydra/launcher=submitit_slurm hydra.launcher.partition=...` composes (no cluster needed)."""
    plugin = {"submitit_slurm": "hydra_plugins.hydra_submitit_launcher",
              "joblib": "hydra_plugins.hydra_joblib_launcher"}
    if launcher in plugin:
        require(plugin[launcher], "a launcher extra, a dev dependency")
    extra = ["hydra.launcher.partition=gpu"] if launcher == "submitit_slurm" else []
    proc = benchit(f"hydra/launcher={launcher}", *extra, "input.search_dir=models", "--cfg", "hydra", check=True)
    assert f"    {key}:" in proc.stdout
