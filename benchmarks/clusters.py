"""Real clusters: what bringing one up and down costs, and what a sweep pays for going through it.

    python benchmarks/run.py clusters

Brings up the private single-node Slurm cluster (munged, MariaDB, slurmdbd, slurmctld, slurmd) and the local
Ray head of tests/clusters (clusterlib), timing each up and down. Then the same 4-job sweep
(`input=hello_world,two_models sequence=export_only,optimize_fp32`, quick measurement settings, a fresh cache
each time) runs on Hydra's basic launcher (the baseline, one job after another in this process), on
`submitit_slurm` (one sbatch array on the cluster) and on `ray` (attached to the running head). Each launcher's
figure is its wall time over the basic launcher's, measured in the same run: on a 2-core machine the jobs
mostly wait for each other (builds share the cores, measurements take the machine lock), so what a launcher
adds is its own start and polling. Where the binaries are missing (Slurm's, or `ray` and hydra-ray-launcher in
this interpreter's environment) those rows are left out and stderr says why.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import REPO, Row, benchit_argv, temp_dir

sys.path.insert(0, str(REPO / "tests" / "clusters"))
from clusterlib import (PARTITION, SLURM_BINARIES, RayCluster, SlurmCluster,  # noqa: E402
                        missing_binaries)

JOBS = ["input=hello_world,two_models", "sequence=export_only,optimize_fp32", "device.measurement.min_seconds=0.05",
        "device.measurement.min_iterations=10", "device.measurement.warmup_iterations=2"]
LAUNCHERS = {
    "basic": [],
    "submitit_slurm": ["hydra/launcher=submitit_slurm", f"hydra.launcher.partition={PARTITION}"],
}


def _ray_binary() -> str | None:
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.is_file() else shutil.which("ray")


def _ray_launcher(address: str) -> list[str]:
    # benchit's Ray launcher attaches without sizing the cluster (no object_store_memory): the documented command.
    return ["hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address={address}"]


def _sweep(work: Path, name: str, launcher: list[str], env: dict) -> tuple[float, bool]:
    """Wall time of the 4-job sweep on `launcher` (fresh cache), and whether it exited 0 with 4 results."""
    cache = work / f"cache-{name}"
    start = time.perf_counter()
    # cache.dir (benchit pins it absolute for every job, as it does BENCHIT_CACHE_DIR): a fresh cache per launcher.
    proc = subprocess.run(benchit_argv("-m", *launcher, *JOBS, f"cache.dir={cache}"), cwd=work, capture_output=True,
                          text=True, env=env, timeout=1800)
    seconds = time.perf_counter() - start
    results = list((cache / "sweeps").glob("*/*/results.json"))
    ok = proc.returncode == 0 and len(results) == 4
    if not ok:
        print(f"clusters: the {name} sweep exited {proc.returncode} with {len(results)} results:\n"
              f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}", file=sys.stderr)
    return seconds, ok


def rows() -> list[Row]:
    work = temp_dir("clusters")
    out: list[Row] = []
    try:
        base_env = {**os.environ}
        base_env.pop("HYDRA_FULL_ERROR", None)
        basic, basic_ok = _sweep(work, "basic", LAUNCHERS["basic"], base_env)
        out.append(Row("4-job sweep, basic launcher (the baseline)", basic, "s", None, "", "exit 0, 4 results",
                       basic_ok))
        missing = missing_binaries(SLURM_BINARIES)
        if missing:
            print(f"clusters: no Slurm rows: binaries missing: {', '.join(missing)}", file=sys.stderr)
        else:
            slurm = SlurmCluster(work / "slurm")
            try:
                slurm.start()
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in slurm.timings.steps.items())
                print(f"clusters: Slurm up in {slurm.timings.up_s:.1f} s ({steps})", file=sys.stderr)
                seconds, ok = _sweep(work, "submitit_slurm", LAUNCHERS["submitit_slurm"], slurm.env(base_env))
            finally:
                slurm.stop()
            out += [Row("Slurm cluster up (munged, MariaDB, slurmdbd, slurmctld, slurmd; polled ready)",
                        slurm.timings.up_s, "s", None, "", "(information)", None),
                    Row("Slurm cluster down (scancel, then SIGTERM by PID)", slurm.timings.down_s, "s", None, "",
                        "(information)", None),
                    Row("4-job sweep, submitit_slurm (one sbatch array)", seconds, "s", basic, "basic",
                        "exit 0, 4 results", ok)]
        ray = _ray_binary()
        if ray is None or importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
            print("clusters: no Ray rows: `ray` or hydra-ray-launcher is not installed in this environment",
                  file=sys.stderr)
        else:
            head = RayCluster(work / "ray", ray=ray)
            try:
                head.start()
                seconds, ok = _sweep(work, "ray", _ray_launcher(head.address), base_env)
            finally:
                head.stop()
            out += [Row("Ray head up (ray start --head --block --num-cpus=2; polled ready)", head.timings.up_s,
                        "s", None, "", "(information)", None),
                    Row("Ray head down (SIGTERM by PID)", head.timings.down_s, "s", None, "", "(information)", None),
                    Row("4-job sweep, ray (attached to the running head)", seconds, "s", basic, "basic",
                        "exit 0, 4 results", ok)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
