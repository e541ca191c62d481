"""The cluster launcher configs compose, and the pieces of benchit's cluster launchers that need no cluster.

Fast (no cluster, no `cluster` marker): `benchit hydra/launcher=NAME --cfg hydra` for the presets of
conf/hydra/launcher/, and the functions behind the one-line sbatch refusals, the Ray attach rules, the cache dir
that travels with a job and the jobs.json rows of summary.csv.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import yaml

from benchit._hydra_plugins.benchit_ray import ray_init_args
from benchit.records import Status
from benchit.report.sweep import failure_lines, missing_launched_jobs, scan_sweep, write_summary
from benchit.runner.cluster import (explain_sbatch_refusal, job_folder, pin_cache_dir, record_unfinished,
                                    slurm_outcome, write_launched)
from repo_paths import REPO

SLURM = "hydra_plugins.benchit_slurm.BenchitSlurmLauncher"
RAY = "hydra_plugins.benchit_ray.BenchitRayLauncher"


def launcher_config(*overrides: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchit", *overrides, "--cfg", "hydra"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr  # e.g. Hydra's schema-matching deprecation: silenced
    return yaml.safe_load(proc.stdout)["hydra"]["launcher"]


@pytest.mark.parametrize("overrides, expected", [
    (["hydra/launcher=submitit_slurm", "hydra.launcher.partition=debug"],
     {"_target_": SLURM, "partition": "debug", "gpus_per_node": None, "timeout_min": 60}),
    (["hydra/launcher=slurm_gpu"],
     {"_target_": SLURM, "partition": "gpu", "gpus_per_node": 1, "timeout_min": 120, "tasks_per_node": 1}),
    (["hydra/launcher=slurm_gpu", "hydra.launcher.partition=a100", "hydra.launcher.timeout_min=30"],
     {"_target_": SLURM, "partition": "a100", "gpus_per_node": 1, "timeout_min": 30}),
    (["hydra/launcher=ray"], {"_target_": RAY, "ray": {"init": {"address": None}, "remote": {}}}),
    (["hydra/launcher=ray_cluster"], {"_target_": RAY, "ray": {"init": {"address": "auto"}, "remote": {}}}),
    (["hydra/launcher=ray_cluster", "hydra.launcher.ray.init.address=10.0.0.1:6379"],
     {"_target_": RAY, "ray": {"init": {"address": "10.0.0.1:6379"}, "remote": {}}}),
], ids=["submitit_slurm", "slurm_gpu", "slurm_gpu-overridden", "ray", "ray_cluster", "ray_cluster-address"])
def test_launcher_presets_compose(overrides, expected):
    launcher = launcher_config(*overrides)
    assert {key: launcher.get(key) for key in expected} == expected
    if launcher["_target_"] == SLURM:
        assert launcher["submitit_folder"] == "${hydra.sweep.dir}/.submitit/%j"


def test_two_phase_composes_with_slurm_builds():
    launcher = launcher_config("hydra/launcher=two_phase", "hydra.launcher.build.target=submitit_slurm")
    assert launcher["build"]["target"] == "submitit_slurm" and launcher["benchmark"]["target"] == "basic"


# ---------------------------------------------------------------- Ray: start here, or attach without sizing
def test_ray_init_local_by_default_and_attach_without_sizing():
    assert ray_init_args({"address": None, "num_cpus": 2}) == {"address": "local", "num_cpus": 2}
    assert ray_init_args({}) == {"address": "local"}
    attached = ray_init_args({"address": "auto", "num_cpus": 2, "num_gpus": 0, "object_store_memory": 1 << 27,
                              "namespace": "x"})
    assert attached == {"address": "auto", "namespace": "x", "object_store_memory": None}


# ---------------------------------------------------------------- what travels with a job
def test_the_cache_dir_is_pinned_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pinned = pin_cache_dir(["input=hello_world", "cache.dir=relcache"], "relcache")
    assert pinned == ["input=hello_world", f"cache.dir='{tmp_path / 'relcache'}'"]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert pin_cache_dir([], "~/c")[-1] == f"cache.dir='{tmp_path / 'home' / 'c'}'"
    assert job_folder(["hydra.sweep.subdir=build/${hydra.job.num}"], "${hydra.job.num}", 3) == "build/3"
    assert job_folder([], "${hydra.job.num}", 3) == "3"


# ---------------------------------------------------------------- sbatch's refusals: one line naming the setting
@pytest.mark.parametrize("stderr, params, named", [
    ("sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid "
     "partition name specified", {"partition": "nope"}, "hydra.launcher.partition=nope (partitions here: debug)"),
    ("sbatch: error: Batch job submission failed: Invalid generic resource (gres) specification",
     {"gpus_per_node": 1}, "hydra.launcher.gpus_per_node=1"),
    ("sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)",
     {"timeout_min": 100000, "partition": "debug"}, "hydra.launcher.timeout_min=100000"),
    ("sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified",
     {"account": "x"}, "hydra.launcher.account=x"),
])
def test_an_sbatch_refusal_names_the_setting(stderr, params, named):
    text = f"{stderr}; Command '['sbatch', 'x.sh']' returned non-zero exit status 1."
    line = explain_sbatch_refusal(text, params, 2, partitions="debug")
    assert named in line and "\n" not in line and "sbatch: error" not in line and "Command '" not in line
    assert line.startswith("sbatch refused the sweep's 2 job(s): ")


def test_slurm_states_become_statuses():
    assert slurm_outcome("7_1", "CANCELLED by 0", started=False)[0] is Status.CANCELLED
    status, reason = slurm_outcome("7_0", "CANCELLED by 0", started=True)
    assert status is Status.INTERRUPTED and "cancelled while running" in reason and "7_0" in reason
    assert slurm_outcome("7_0", "TIMEOUT", True, 60) == (
        Status.TIMED_OUT, "Slurm ended it at its time limit (Slurm job 7_0: TIMEOUT; raise "
                          "hydra.launcher.timeout_min, now 60)")
    assert slurm_outcome("7_0", "OUT_OF_MEMORY", True)[0] is Status.KILLED


# ---------------------------------------------------------------- jobs.json: every submitted job is a row
def test_a_job_that_never_got_a_folder_is_a_row(tmp_path):
    sweep = tmp_path / "sweep"
    logs = [str(sweep / ".submitit" / "7_0" / "7_0_0_log.out"), str(sweep / ".submitit" / "7_0" / "7_0_0_log.err")]
    write_launched(sweep, "submitit_slurm", [
        {"dir": "0", "num": 0, "overrides": ["sequence=a"], "id": "7_0", "logs": logs, "status": "", "error": ""},
        {"dir": "1", "num": 1, "overrides": ["sequence=b"], "id": "7_1", "logs": [], "status": "", "error": ""}])
    record_unfinished(sweep / "0", Status.INTERRUPTED, "cancelled while running (Slurm job 7_0: CANCELLED by 0)")
    (sweep / ".submitit" / "7_0").mkdir(parents=True)
    open(logs[0], "w").close()
    assert missing_launched_jobs(sweep) == ["1"]
    scan = scan_sweep(sweep)
    assert scan.jobs == 2 and scan.failed_jobs == 2
    by_job = {row["job"]: row for row in scan.rows}
    assert by_job["0"]["status"] == "interrupted" and "cancelled while running" in by_job["0"]["error"]
    assert by_job["1"]["status"] == Status.MISSING.value and "7_1" in by_job["1"]["error"]
    assert by_job["1"]["overrides"] == "sequence=b"
    lines = failure_lines(scan.rows, scan.job_logs)
    assert any(logs[0] in line and line.lstrip().startswith("job 0") for line in lines), lines
    path, _ = write_summary(sweep)
    assert [row["job"] for row in csv.DictReader(path.open())] == ["0", "1"]
    assert json.loads((sweep / "jobs.json").read_text())["launcher"] == "submitit_slurm"
