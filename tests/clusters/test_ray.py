"""benchit sweeps on a real Ray cluster (issue 14): the local head of conftest's `ray_head`.

Every test runs the real `benchit` command with `hydra/launcher=ray`, as a user would: attached to the running
head (with `address=auto`, or its address), and the documented local recipe beside a running cluster or a
leftover /tmp/ray/ray_current_cluster.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest

from clusterlib import RayCluster, free_ports

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900), pytest.mark.xdist_group("clusters")]

RAY = ["-m", "hydra/launcher=ray"]
QUICK = ["device.measurement.min_seconds=0.05", "device.measurement.min_iterations=10",
         "device.measurement.warmup_iterations=2"]
LOCAL_RECIPE = [*RAY, "+hydra.launcher.ray.init.num_cpus=2", "input=hello_world,two_models", "mode=build",
                "sequence=export_only"]  # docs/studies.md, "Ray"


def show(proc) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"


def sweep_dir(cache_dir: Path) -> Path:
    sweeps = sorted((cache_dir / "sweeps").iterdir()) if (cache_dir / "sweeps").is_dir() else []
    assert len(sweeps) == 1, f"expected one sweep dir in {cache_dir / 'sweeps'}: {sweeps}"
    return sweeps[0]


def job_results(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("*/results.json"))}


def invocations(results: dict) -> list[dict]:
    return [inv for s in results.get("scripts") or [] for m in s.get("models") or [] for inv in m["invocations"]]


def test_two_inputs_by_two_sequences_on_the_running_head_with_address_auto(ray_head, ray_current_cluster, on_ray,
                                                                           cache_dir):
    ray_current_cluster(ray_head.address)  # as `ray start --head` leaves it for `ray.init(address="auto")`
    proc = on_ray(*RAY, "hydra.launcher.ray.init.address=auto", "input=hello_world,two_models",
                  "sequence=export_only,optimize_fp32", *QUICK)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0, show(proc)
    port = ray_head.address.rsplit(":", 1)[1]
    assert any("Connecting to existing Ray cluster" in line and port in line for line in console.splitlines()), \
        f"the sweep did not attach to the running head ({ray_head.address}):\n{show(proc)}"
    sweep = sweep_dir(cache_dir)
    jobs = job_results(sweep)
    assert sorted(jobs) == ["0", "1", "2", "3"], sorted(jobs)
    assert all(r["status"] == "ok" for r in jobs.values()), {k: r.get("status") for k, r in jobs.items()}
    measured = [inv for r in jobs.values() for inv in invocations(r)]
    assert len(measured) == 6 and all(inv["status"] == "benchmarked" for inv in measured), measured
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert sorted({row["job"] for row in rows}) == ["0", "1", "2", "3"], rows
    assert len(rows) == 6 and all(row["status"] == "benchmarked" and row["mean_ms"] for row in rows), rows


def test_a_sweep_attaches_to_the_head_by_its_address_and_writes_where_the_submitter_said(ray_head, on_ray,
                                                                                        cache_dir):
    """By its address; and BENCHIT_CACHE_DIR is the submitter's: the head's workers do not have it in their
    environment. (One sweep for both: each costs a Ray job on a 2-core machine.)"""
    proc = on_ray(*RAY, f"hydra.launcher.ray.init.address={ray_head.address}", "input=hello_world", "mode=build",
                  "sequence=export_only")
    assert proc.returncode == 0, show(proc)
    jobs = job_results(sweep_dir(cache_dir))
    assert sorted(jobs) == ["0"] and jobs["0"]["status"] == "ok", \
        f"the job's results are not in the submitter's BENCHIT_CACHE_DIR ({cache_dir}):\n{show(proc)}"
    assert (cache_dir / "hello_world_479b1332").is_dir(), f"the build is not in {cache_dir}"


def test_a_sweep_attaches_to_a_head_with_token_authentication(ray_head, tmp_path, on_ray, cache_dir):
    """A head that requires Ray's token (as one started where ~/.ray/auth_token exists): the submitter has the
    token (here RAY_AUTH_TOKEN_PATH, elsewhere ~/.ray/auth_token) and sets nothing else, no RAY_AUTH_MODE."""
    token = tmp_path / "auth_token"
    token.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
    with RayCluster(tmp_path / "token-head", ray=ray_head.ray,
                    env={"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}) as head:
        env = {"RAY_AUTH_TOKEN_PATH": str(token)}
        proc = on_ray(*RAY, f"hydra.launcher.ray.init.address={head.address}", "input=hello_world", "mode=build",
                      "sequence=export_only", env=env, unset=["RAY_AUTH_MODE"])
    assert proc.returncode == 0, show(proc)
    jobs = job_results(sweep_dir(cache_dir))
    assert sorted(jobs) == ["0"] and jobs["0"]["status"] == "ok", jobs


@pytest.mark.parametrize("leftover", ["running-cluster", "stale-file"])
def test_the_documented_local_recipe_works_beside_another_cluster(ray_head, ray_current_cluster, on_ray, cache_dir,
                                                                  leftover):
    """docs/studies.md's local recipe, on a machine where `ray start` ran (or a killed head left its file)."""
    (dead_port,) = free_ports(1)
    ray_current_cluster(ray_head.address if leftover == "running-cluster" else f"127.0.0.1:{dead_port}")
    proc = on_ray(*LOCAL_RECIPE)
    assert proc.returncode == 0, show(proc)
    jobs = job_results(sweep_dir(cache_dir))
    assert sorted(jobs) == ["0", "1"] and all(r["status"] == "ok" for r in jobs.values()), jobs


# ---------------------------------------------------------------- what a job inherits
def test_a_relative_cache_dir_on_ray_is_the_submitters(ray_head, on_ray, work):
    proc = on_ray(*RAY, f"hydra.launcher.ray.init.address={ray_head.address}", "input=hello_world", "mode=build",
                  "sequence=export_only", "cache.dir=relcache")
    assert proc.returncode == 0, show(proc)
    relcache = work / "relcache"
    jobs = job_results(sweep_dir(relcache))
    assert sorted(jobs) == ["0"] and jobs["0"]["status"] == "ok", f"the job's results are not in {relcache}"
    assert (relcache / "hello_world_479b1332").is_dir(), f"the build is not in {relcache}"
