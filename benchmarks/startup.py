"""Spine figures: hello_world end to end (cold and warm cache) beside plain python; start-up; and the first run
beside the older tool's (issue 17).

    python benchmarks/run.py startup

Every goal is a ratio to a baseline measured in the same run, on the same machine and at the same load:
`python hello_world.py` for the runs, a bare interpreter start (`python -c pass`) for `--help` and `version`,
and mlagility 3.3.1's `benchit benchmark hello_world.py` for the side by side.

The side by side: `benchit input=hello_world` against mlagility 3.3.1 (the older tool), whole-process wall time,
5 pairs taken alternately (who goes first swaps every pair), medians; cold = both caches emptied before every
run, warm = both caches kept (after one untimed run each). Goals: <= 0.5x cold, <= 0.35x warm.

mlagility is installed once into its own venv under ~/.cache/benchit-bench/ (reused by later runs; delete the
folder to reinstall). It declares Python < 3.11 and pins torch 2.1, so it needs workarounds here, all applied by
`_install_mlagility`:
- `pip install --no-deps --ignore-requires-python mlagility==3.3.1`; its venv sees this interpreter's
  site-packages through a .pth file, so it runs the same torch (2.13 CPU), onnx, onnxruntime and numpy as
  benchit; its other dependencies are installed in its venv, pins lifted where the pinned release cannot run
  here (scikit-learn 1.1.1 has no Python 3.11 wheel, onnxmltools 1.11.2 imports `onnx.mapping`, gone from onnx);
- two one-line patches: a dataclass field with a mutable default (`info: Info = Info()`, an error since
  Python 3.11) and `onnxmltools.utils.float16_converter` (moved to `onnxconverter_common.float16`);
- its x86 benchmark runs ONNX Runtime in a Docker container it builds; there is no Docker here, so a `docker`
  stand-in in its venv runs the same benchmark script on this machine (the image build it skips would only
  make the older tool slower).
Where it cannot install (no network, pip fails), its rows say why and have no figure. With
BENCHIT_BENCH_QUICK=1 the side by side runs one pair, and only when mlagility is already installed.

Our runs use a machine lock of their own (BENCHIT_MACHINE_LOCK): other benchit processes on this machine (a test
suite, a zoo run) must not make ours wait; mlagility has no such lock.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from harness import EXAMPLES, QUICK, Row, benchit_argv, temp_dir, time_command

COLD_GOAL, WARM_GOAL, START_GOAL = 3.0, 2.0, 5.0  # x the baseline
MLAGILITY = "mlagility==3.3.1"
VS_COLD_GOAL, VS_WARM_GOAL = 0.5, 0.35  # x mlagility's run
PAIRS = 1 if QUICK else 5
# mlagility's dependencies, installed in its venv (what this interpreter lacks): its pins where they run here.
MLAGILITY_DEPS = ["scikit-learn", "onnxmltools", "paramiko==2.11.0", "fasteners", "invoke>=2.0.0"]
PATCHES = [  # (file in site-packages, old, new)
    ("onnxflow/common/build.py", "    info: Info = Info()", "    info: Info = dataclasses.field(default_factory=Info)"),
    ("onnxflow/justbuildit/export.py", "onnxmltools.utils.float16_converter.", "onnxconverter_common.float16."),
    ("onnxflow/justbuildit/export.py", "\nimport onnxmltools\n", "\nimport onnxmltools\nimport onnxconverter_common.float16\n"),
]
DOCKER_STANDIN = '''#!{python}
"""`docker` for mlagility 3.3.1's x86 benchmark (benchmarks/startup.py): `build` does nothing, `run -v DIR:/app
--name N` remembers DIR, `exec N CMD...` runs CMD here (/app is DIR, /usr/bin/python3 this venv's python),
`stop` forgets."""
import json, subprocess, sys
from pathlib import Path

STATE = Path(__file__).resolve().parent.parent / "docker-standin.json"
containers = json.loads(STATE.read_text()) if STATE.is_file() else {{}}
command, args = sys.argv[1], sys.argv[2:]
if command == "run":
    containers[args[args.index("--name") + 1]] = args[args.index("-v") + 1].split(":")[0]
    print(args[args.index("--name") + 1])
elif command == "exec":
    app = containers[args[0]]
    sys.exit(subprocess.run([sys.executable if a == "/usr/bin/python3" else a.replace("/app", app)
                             for a in args[1:]]).returncode)
elif command == "stop":
    containers.pop(args[0], None)
elif command != "build":
    sys.exit(f"docker stand-in: {{command}} is not supported")
STATE.write_text(json.dumps(containers))
'''
OURS_OK, THEIRS_OK = "Model successfully benchmarked", "Successfully benchmarked"


def _venv_dir() -> Path:
    """One venv per interpreter it borrows torch from (a different benchit venv gets its own)."""
    key = hashlib.sha256(sys.prefix.encode()).hexdigest()[:8]
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return Path.home() / ".cache" / "benchit-bench" / f"mlagility-3.3.1-{tag}-{key}"


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed: {' | '.join(tail)[:300]}")
    return proc


def _install_mlagility(venv: Path, work: Path) -> None:
    """Create the venv, install mlagility 3.3.1 with the workarounds above, and check it benchmarks
    hello_world; `.ready` marks a venv that passed."""
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    _run([base, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    shared = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_benchit_bench_shared.pth").write_text("".join(f"{p}\n" for p in shared))
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "--no-deps", "--ignore-requires-python", MLAGILITY])
    _run([*pip, "--only-binary=:all:", *MLAGILITY_DEPS])
    for name, old, new in PATCHES:
        path = site / name
        text = path.read_text()
        if old not in text:
            raise RuntimeError(f"mlagility's {name} is not the one the workarounds patch")
        path.write_text(text.replace(old, new))
    docker = venv / "bin" / "docker"
    docker.write_text(DOCKER_STANDIN.format(python=python))
    docker.chmod(0o755)
    log = work / "mlagility-check.txt"
    _time_theirs(venv, work / "mlagility-check-cache", log)  # raises unless it benchmarked hello_world
    (venv / ".ready").write_text(f"{MLAGILITY}\n")


def _mlagility(work: Path) -> tuple[Path | None, str]:
    """The venv of a working mlagility 3.3.1, or None and why not."""
    venv = _venv_dir()
    if (venv / ".ready").is_file():
        return venv, ""
    if QUICK:
        return None, f"quick mode installs nothing; a full run installs it into {venv}"
    try:
        _install_mlagility(venv, work)
    except Exception as error:  # noqa: BLE001 - no network, pip fails: the row says why
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"{MLAGILITY} could not be installed: {str(error).splitlines()[0][:200]}"
    return venv, ""


def _timed(argv: list[str], log: Path, marker: str, env: dict | None = None, cwd: Path | None = None) -> float:
    """Wall time of one whole process; its output goes to `log`, which must show `marker` (a benchmarked model)."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd)
        elapsed = time.perf_counter() - start
    text = log.read_text(errors="replace")
    if proc.returncode != 0 or marker not in text:
        raise RuntimeError(f"{' '.join(argv[-2:])} did not benchmark hello_world (exit {proc.returncode}); see {log}")
    return elapsed


def _time_theirs(venv: Path, cache: Path, log: Path) -> float:
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(venv)}
    return _timed([str(venv / "bin" / "benchit"), "benchmark", "hello_world.py", "--cache-dir", str(cache)],
                  log, THEIRS_OK, env=env, cwd=EXAMPLES)


def side_by_side(work: Path, venv: Path) -> dict[str, tuple[float, float, list[float], list[float]]]:
    """{"cold"|"warm": (our median, their median, our times, their times)}, PAIRS alternating pairs each."""
    ours_cache, theirs_cache = work / "ours-cache", work / "mlagility-cache"
    ours_env = {"BENCHIT_CACHE_DIR": str(ours_cache), "BENCHIT_MACHINE_LOCK": str(work / "machine.lock")}

    def ours(log: Path) -> float:
        return _timed(benchit_argv("input=hello_world"), log, OURS_OK, env=ours_env)

    def theirs(log: Path) -> float:
        return _time_theirs(venv, theirs_cache, log)

    def clear():
        shutil.rmtree(ours_cache, ignore_errors=True)
        shutil.rmtree(theirs_cache, ignore_errors=True)

    result = {}
    for mode in ("cold", "warm"):
        clear()
        if mode == "warm":  # untimed: fill both caches
            ours(work / "ours-warmup.txt")
            theirs(work / "theirs-warmup.txt")
        times = {"ours": [], "theirs": []}
        for i in range(PAIRS):
            order = [("ours", ours), ("theirs", theirs)]
            for who, run in order if i % 2 == 0 else order[::-1]:
                if mode == "cold":
                    clear()
                times[who].append(run(work / f"{who}-{mode}-{i}.txt"))
        result[mode] = (statistics.median(times["ours"]), statistics.median(times["theirs"]), times["ours"],
                        times["theirs"])
    return result


def _vs_rows(work: Path) -> list[Row]:
    label = f"hello_world vs mlagility 3.3.1 ({PAIRS} alternating pairs, medians)"
    venv, why = _mlagility(work)
    if venv is None:
        return [Row(f"{label}, {mode} (skipped: {why})", float("nan"), "s", None, "", goal, None)
                for mode, goal in (("cold", f"<= {VS_COLD_GOAL:g}x"), ("warm", f"<= {VS_WARM_GOAL:g}x"))]
    loads = [os.getloadavg()[0]]
    try:
        figures = side_by_side(work, venv)
    except RuntimeError as error:
        return [Row(f"{label} (FAILED: {str(error)[:200]})", float("nan"), "s", None, "", "", False)]
    loads.append(os.getloadavg()[0])
    table = []
    for mode, goal in (("cold", VS_COLD_GOAL), ("warm", VS_WARM_GOAL)):
        mine, theirs, my_times, their_times = figures[mode]
        print(f"startup: {mode}: benchit {' '.join(f'{t:.2f}' for t in my_times)} s; mlagility "
              f"{' '.join(f'{t:.2f}' for t in their_times)} s", file=sys.stderr)
        table.append(Row(f"{label}, {mode} cache", mine, "s", theirs, "mlagility benchit benchmark hello_world.py",
                         f"<= {goal:g}x", mine <= goal * theirs))
    table.append(Row("1-minute load average before/after the side by side (max)", max(loads), "", None, "", "", None))
    return table


def rows() -> list[Row]:
    work = temp_dir("startup")
    cache = work / "cache"
    env = {"BENCHIT_CACHE_DIR": str(cache), "BENCHIT_MACHINE_LOCK": str(work / "machine.lock")}
    script = str(EXAMPLES / "hello_world.py")
    repeat = 1 if QUICK else 3
    try:
        plain = time_command([sys.executable, script], repeat=repeat + 2)
        bare = time_command([sys.executable, "-c", "pass"], repeat=5)

        def clear():
            shutil.rmtree(cache, ignore_errors=True)

        cold = time_command(benchit_argv("input=hello_world"), repeat=repeat, env=env, setup=clear)
        time_command(benchit_argv("input=hello_world"), repeat=1, env=env)  # make sure the cache is warm
        warm = time_command(benchit_argv("input=hello_world"), repeat=repeat, env=env)
        help_ = time_command(benchit_argv("--help"), repeat=5)
        version = time_command(benchit_argv("version"), repeat=5)
        table = [
            Row("hello_world, cold cache", cold, "s", plain, "python hello_world.py", f"<= {COLD_GOAL:g}x",
                cold <= COLD_GOAL * plain),
            Row("hello_world, warm cache", warm, "s", plain, "python hello_world.py", f"<= {WARM_GOAL:g}x",
                warm <= WARM_GOAL * plain),
            Row("benchit --help", help_, "s", bare, "python -c pass", f"<= {START_GOAL:g}x",
                help_ <= START_GOAL * bare),
            Row("benchit version", version, "s", bare, "python -c pass", f"<= {START_GOAL:g}x",
                version <= START_GOAL * bare),
        ]
        return table + _vs_rows(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
