"""benchit sweeps on a real Slurm cluster (issue 14): the private single-node cluster of conftest's `slurm`.

Every test runs the real `benchit` command with `hydra/launcher=submitit_slurm` (or two_phase with Slurm builds),
as a user would, and checks what Slurm's own tools (`squeue`, `sacct`) and the sweep dir say afterwards.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest

from clusterlib import PARTITION
from clusterlib import wait_for
from repo_paths import EXAMPLES

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900), pytest.mark.xdist_group("clusters")]

SLURM = ["-m", "hydra/launcher=submitit_slurm"]
ON_PARTITION = [*SLURM, f"hydra.launcher.partition={PARTITION}"]
QUICK = ["device.measurement.min_seconds=0.05", "device.measurement.min_iterations=10",
         "device.measurement.warmup_iterations=2"]
SLURM_LAUNCHER = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
# Writes a mark when it starts (its own output reaches the log only when it ends), then sleeps.
SLEEPY = ("import os, time\n\n"
          "open(os.path.join(os.environ['BENCHIT_TEST_MARKS'], os.environ.get('SLURM_JOB_ID', 'x')), 'w').close()\n"
          "time.sleep(600)\n")
FAILING = ("import torch\n\nmodel = torch.nn.Linear(4, 2)\nmodel(torch.ones(1, 4))\n"
           "raise RuntimeError('deliberate failure inside a Slurm job')\n")
PROBE = """import json, os, torch

probe = {"cwd": os.getcwd(), "cache": os.environ.get("BENCHIT_CACHE_DIR"),
         "token": os.environ.get("BENCHIT_TEST_TOKEN"), "slurm_job": os.environ.get("SLURM_JOB_ID")}
with open(os.path.join(os.environ["BENCHIT_TEST_PROBES"], f"probe_{os.getpid()}.json"), "w") as f:
    json.dump(probe, f)
model = torch.nn.Linear(3, 2)
model(torch.ones(1, 3))
"""
ACTIVE = ("RUNNING", "PENDING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", "RESIZING")


def show(proc) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"


def sweep_dir(cache_dir: Path) -> Path:
    sweeps = sorted((cache_dir / "sweeps").iterdir()) if (cache_dir / "sweeps").is_dir() else []
    assert len(sweeps) == 1, f"expected one sweep dir in {cache_dir / 'sweeps'}: {sweeps}"
    return sweeps[0]


def job_results(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("*/results.json"))}


def summary_rows(sweep: Path) -> list[dict]:
    path = sweep / "summary.csv"
    assert path.is_file(), f"no summary.csv in {sweep}: {sorted(p.name for p in sweep.iterdir())}"
    return list(csv.DictReader(path.open()))


def submitted_tasks(sweep: Path) -> list[str]:
    """Slurm job ids (array tasks as JOB_TASK) of the jobs submitit submitted for this sweep."""
    folder = sweep / ".submitit"
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    tasks = [n for n in names if re.fullmatch(r"\d+_\d+", n)]  # an array's tasks (its own folder is JOB)
    arrays = {n.split("_")[0] for n in tasks}
    tasks += [n for n in names if re.fullmatch(r"\d+", n) and n not in arrays]
    return sorted(tasks, key=lambda n: [int(x) for x in n.split("_")])


def invocations(results: dict) -> list[dict]:
    return [inv for s in results.get("scripts") or [] for m in s.get("models") or [] for inv in m["invocations"]]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- the sweep that must just work
def test_two_inputs_by_two_sequences_every_array_task_completes(slurm, on_slurm, cache_dir):
    proc = on_slurm(*ON_PARTITION, "input=hello_world,two_models", "sequence=export_only,optimize_fp32", *QUICK)
    assert proc.returncode == 0, show(proc)
    assert "Traceback" not in proc.stdout + proc.stderr, show(proc)
    sweep = sweep_dir(cache_dir)
    tasks = submitted_tasks(sweep)
    assert len(tasks) == 4, f"one Slurm array task per job: {tasks}"
    accounting = slurm.accounting()
    assert {task: accounting.get(task) for task in tasks} == {task: "COMPLETED" for task in tasks}, accounting
    jobs = job_results(sweep)
    assert sorted(jobs) == ["0", "1", "2", "3"], sorted(jobs)
    assert all(r["status"] == "ok" for r in jobs.values()), {k: r.get("status") for k, r in jobs.items()}
    measured = [inv for r in jobs.values() for inv in invocations(r)]
    assert len(measured) == 6 and all(inv["status"] == "benchmarked" for inv in measured), measured
    rows = summary_rows(sweep)
    assert sorted({row["job"] for row in rows}) == ["0", "1", "2", "3"], rows
    assert len(rows) == 6 and all(row["status"] == "benchmarked" and row["mean_ms"] for row in rows), rows
    assert {row["sequence"] for row in rows} == {"export_only", "optimize_fp32"}


# ---------------------------------------------------------------- a failing job says what and where
def test_a_failing_job_prints_its_error_and_log_path_on_the_console(on_slurm, work, cache_dir):
    failing = write(work, "failing.py", FAILING)
    proc = on_slurm(*ON_PARTITION, f"input.script={EXAMPLES / 'hello_world.py'},{failing}", "mode=build",
                    "sequence=export_only")
    console = proc.stdout + proc.stderr
    assert proc.returncode == 1, show(proc)
    sweep = sweep_dir(cache_dir)
    jobs = job_results(sweep)
    assert jobs["0"]["status"] == "ok" and jobs["1"]["scripts"][0]["status"] != "ok", jobs
    error_lines = [line for line in console.splitlines() if "RuntimeError: deliberate failure inside a Slurm job"
                   in line]
    assert error_lines, f"the failed job's error line is not on the console:\n{show(proc)}"
    logs = [p for p in (sweep / ".submitit").glob("*/*_log.*")
            if "deliberate failure inside a Slurm job" in p.read_text(errors="replace")]
    assert logs, "the job's log holds its error"
    named = [p for p in logs if str(p) in console or str(p.relative_to(work.parent)) in console
             or str(p.relative_to(cache_dir)) in console]
    assert named, f"the console names none of the failed job's logs {[str(p) for p in logs]}:\n{show(proc)}"
    assert "Traceback" not in console, show(proc)


# ---------------------------------------------------------------- scancel: while running, before starting
def test_jobs_cancelled_running_and_pending_exit_1_and_are_in_the_summary(slurm, on_slurm, work, cache_dir,
                                                                         tmp_path):
    sleepy = write(work, "sleepy.py", SLEEPY)
    marks = tmp_path / "marks"
    marks.mkdir()
    run = on_slurm(*ON_PARTITION, f"input.script={sleepy}", "sequence=export_only,optimize_fp32", "mode=build",
                   "hydra.launcher.array_parallelism=1", background=True, env={"BENCHIT_TEST_MARKS": str(marks)})
    states = wait_for(lambda: (lambda jobs: jobs if sorted(s for _, s in jobs) == ["PENDING", "RUNNING"] else None)(
        slurm.jobs()), "one task running and one pending", started=run)
    running = next(job for job, state in states if state == "RUNNING")
    pending = next(job for job, state in states if state == "PENDING")
    slurm.run("scancel", pending)   # cancelled before it started
    wait_for(lambda: any(marks.iterdir()), "the running job to be inside its script", started=run)
    slurm.run("scancel", running)   # cancelled while running
    proc = run.wait(timeout=300)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 1, show(proc)
    assert "Traceback" not in console and "see benchit --help" not in console, show(proc)
    # By id (sacct's time window hides a task cancelled before it was eligible); slurmdbd records asynchronously.
    # An array task cancelled while it waited for its turn may never get a record of its own (it stays part of
    # the array's pending record): gone from the controller and unrecorded is cancelled too.
    deadline = time.monotonic() + 30
    while True:
        accounting = slurm.accounting([running, pending])
        listed = {job for job, _ in slurm.jobs()}
        unrecorded = pending not in accounting and pending not in listed
        cancelled = accounting.get(running, "").startswith("CANCELLED") and (
            accounting.get(pending, "").startswith("CANCELLED") or unrecorded)
        if cancelled or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert cancelled, (accounting, slurm.run("sacct", "-a", "-X", "-P", "-j", f"{running},{pending}",
                                             "-o", "JobID,JobIDRaw,State,Eligible,Start,End", check=False).stdout)
    rows = summary_rows(sweep_dir(cache_dir))
    by_job = {row["job"]: row for row in rows}
    assert sorted(by_job) == ["0", "1"], f"both cancelled jobs are in summary.csv: {rows}"
    for job, row in by_job.items():
        assert row["status"] not in ("ok", "built", "benchmarked"), row
        assert "cancel" in (row["error"] + row["status"]).lower(), f"job {job}: the reason is not given: {row}"


# ---------------------------------------------------------------- two_phase: builds on Slurm, benchmarks here
def test_two_phase_builds_on_slurm_and_benchmarks_here_one_at_a_time(slurm, on_slurm, cache_dir):
    # The documented override only (docs/studies.md: hydra.launcher.build.target=...SlurmLauncher).
    proc = on_slurm("-m", "hydra/launcher=two_phase", f"hydra.launcher.build.target={SLURM_LAUNCHER}",
                    "input=hello_world,two_models", "sequence=export_only", *QUICK)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0, show(proc)
    assert "Phase 1 of 2" in console and "Phase 2 of 2" in console, show(proc)
    sweep = sweep_dir(cache_dir)
    tasks = submitted_tasks(sweep) + (submitted_tasks(sweep / "build") if (sweep / "build").is_dir() else [])
    accounting = slurm.accounting()
    assert len(tasks) == 2 and all(accounting.get(t) == "COMPLETED" for t in tasks), (tasks, accounting)
    built = job_results(sweep / "build")
    assert sorted(built) == ["0", "1"]
    assert all(r["config"]["mode"] == "build" and r["status"] == "ok" for r in built.values()), built
    measured = job_results(sweep)
    assert sorted(measured) == ["0", "1"]
    done = [inv for r in measured.values() for inv in invocations(r)]
    assert len(done) == 3 and all(inv["status"] == "benchmarked" and inv["from_cache"] for inv in done), done


# ---------------------------------------------------------------- Ctrl-C cancels what it submitted
def test_ctrl_c_of_a_slurm_sweep_cancels_the_jobs_it_submitted(slurm, on_slurm, work, cache_dir, tmp_path):
    sleepy = write(work, "sleepy.py", SLEEPY)
    marks = tmp_path / "marks"
    marks.mkdir()
    run = on_slurm(*ON_PARTITION, f"input.script={sleepy}", "sequence=export_only,optimize_fp32", "mode=build",
                   background=True, env={"BENCHIT_TEST_MARKS": str(marks)})
    jobs = wait_for(lambda: (lambda j: j if len(j) == 2 and all(s == "RUNNING" for _, s in j) else None)(
        slurm.jobs()), "both tasks running", started=run)
    wait_for(lambda: len(list(marks.iterdir())) == 2, "both jobs to be inside their script", started=run)
    ids = sorted(job for job, _ in jobs)
    run.ctrl_c()
    proc = run.wait(timeout=120)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 130, show(proc)

    def ended():
        left = [(j, s) for j, s in slurm.jobs() if j in ids and s in ACTIVE]
        return not left

    deadline = time.monotonic() + 30
    while not ended() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ended(), f"after Ctrl-C these jobs were still in the queue 30 s later: {slurm.jobs()}\n{show(proc)}"
    accounting = slurm.accounting()
    assert all(accounting.get(i, "").startswith("CANCELLED") for i in ids), accounting
    array_id = ids[0].split("_")[0]
    said = [line for line in console.splitlines() if "cancel" in line.lower() and array_id in line]
    assert said, f"the console does not say that job {array_id} was cancelled:\n{show(proc)}"


# ---------------------------------------------------------------- sbatch refusals: one line, once, recorded
@pytest.mark.parametrize("override, setting, reason", [
    ("hydra.launcher.partition=nosuchpartition", "hydra.launcher.partition", "invalid partition"),
    ("hydra.launcher.gpus_per_node=1", "hydra.launcher.gpus_per_node", "generic resource"),
    ("hydra.launcher.timeout_min=100000", "hydra.launcher.timeout_min", "time limit"),
], ids=["bad-partition", "gpus-not-on-node", "time-limit"])
def test_an_sbatch_refusal_is_one_line_naming_the_setting(on_slurm, cache_dir, override, setting, reason):
    proc = on_slurm(*SLURM, override, "input=hello_world", "sequence=export_only,optimize_fp32", "mode=build",
                    timeout=300)
    console = proc.stdout + proc.stderr
    assert proc.returncode not in (0, None), show(proc)
    assert "Traceback" not in console, show(proc)
    errors = [line for line in console.splitlines() if line.startswith("benchit: error:")]
    assert len(errors) == 1, f"expected one error line:\n{show(proc)}"
    assert setting in errors[0], f"the error line does not name {setting}:\n{show(proc)}"
    assert reason in errors[0].lower(), f"the error line does not give sbatch's reason ({reason!r}):\n{show(proc)}"
    again = [line for line in console.splitlines() if reason in line.lower() and line != errors[0]]
    assert not again, f"sbatch's refusal is printed more than once:\n{show(proc)}"
    sweep = sweep_dir(cache_dir)
    recorded = [p for p in sweep.rglob("*") if p.is_file() and ".hydra" not in p.parts
                and p.name != "multirun.yaml" and reason in p.read_text(errors="replace").lower()]
    assert recorded, f"the sweep dir does not record the refusal: {sorted(str(p) for p in sweep.rglob('*'))}"


# ---------------------------------------------------------------- what a job inherits
def test_a_slurm_job_inherits_the_environment_and_the_working_directory(on_slurm, work, cache_dir, tmp_path):
    probes = tmp_path / "probes"
    probes.mkdir()
    write(work, "probe.py", PROBE)
    proc = on_slurm(*ON_PARTITION, "input.script=probe.py", "mode=build", "sequence=export_only",
                    env={"BENCHIT_TEST_PROBES": str(probes), "BENCHIT_TEST_TOKEN": "from-the-submitter"})
    assert proc.returncode == 0, show(proc)
    (probe,) = [json.loads(p.read_text()) for p in probes.glob("probe_*.json")]
    assert probe["slurm_job"], f"the script did not run inside a Slurm job: {probe}"
    assert probe == {**probe, "cwd": str(work), "cache": str(cache_dir), "token": "from-the-submitter"}
    sweep = sweep_dir(cache_dir)
    assert job_results(sweep)["0"]["status"] == "ok"
    assert list(cache_dir.glob("probe_*")), f"the job's build is not in BENCHIT_CACHE_DIR: {list(cache_dir.iterdir())}"


def test_a_relative_cache_dir_is_the_submitters(on_slurm, work, cache_dir, tmp_path):
    probes = tmp_path / "probes"
    probes.mkdir()
    write(work, "probe.py", PROBE)
    proc = on_slurm(*ON_PARTITION, "input.script=probe.py", "mode=build", "sequence=export_only",
                    "cache.dir=relcache", env={"BENCHIT_TEST_PROBES": str(probes)})
    assert proc.returncode == 0, show(proc)
    relcache = work / "relcache"
    sweep = sweep_dir(relcache)
    assert job_results(sweep)["0"]["status"] == "ok"
    assert list(relcache.glob("probe_*")), f"the build is not in {relcache}"
    assert (sweep / "summary.csv").is_file()
    assert not (cache_dir / "sweeps").exists(), "cache.dir wins over BENCHIT_CACHE_DIR in the job too"
