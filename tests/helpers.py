"""What many tests share, defined once: measurement settings, the cache layout, GPU detection, extras
that CI installs, process checks, snapshots of folders, the run's results.

Tests import these from here (never from a conftest: tests/faults/ has a conftest.py of its own).
benchit internals are imported here only where a test must use one (the model hash), so that a
refactoring of benchit moves one import, not twenty.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from repo_paths import EXAMPLES, REPO  # noqa: F401 - tests import them from here

# ------------------------------------------------------------------------------------ measurement settings
# Short measurements for tests about plumbing, not numbers (the one place these are set).
QUICK = ["device.measurement.min_seconds=0.05", "device.measurement.min_iterations=10",
         "device.measurement.warmup_iterations=2", "device.measurement.warmup_seconds=0.01"]
# ... and the cheapest sequence: export to ONNX, nothing more.
FAST = ["sequence=export_only", *QUICK]

HELLO = "hello_world_479b1332"  # the tutorial's first build
# the builds of the `hello_built` session cache (tests/conftest.py): hello_world and two_models
HELLO_BUILDS = [HELLO, "two_models_215ca1e3", "two_models_479b1332"]

# ------------------------------------------------------------------------------------ CI and extras
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(module: str, why: str = ""):
    """Import `module`, or skip the test when it is missing. Under CI=true a missing module fails instead: CI
    installs every extra the tests use (tensorflow, tf2onnx, keras, transformers, matplotlib, the joblib and
    submitit launchers), so a skip there would turn a broken install into a green run."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        message = f"{module} is not installed{f' ({why})' if why else ''}: {error}"
        if CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)


# ------------------------------------------------------------------------------------ GPU
def gpu_names() -> tuple[str, ...]:
    """The NVIDIA GPUs of this machine, found as benchit finds them (NVML, else nvidia-smi); () when none."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        count = ctypes.c_uint(0)
        if nvml.nvmlInit_v2() == 0:
            try:
                if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) == 0 and count.value:
                    return tuple(f"GPU {i}" for i in range(count.value))
            finally:
                nvml.nvmlShutdown()
    except (OSError, AttributeError):
        pass
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return ()
    try:
        out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(line.strip() for line in out.stdout.splitlines() if line.strip()) if out.returncode == 0 else ()


HAS_GPU = bool(gpu_names())
needs_gpu = pytest.mark.skipif(not HAS_GPU, reason="no NVIDIA GPU on this machine")
needs_no_gpu = pytest.mark.skipif(HAS_GPU, reason="this machine has an NVIDIA GPU: the no-GPU path cannot happen")

# ------------------------------------------------------------------------------------ identity
def model_hash(model) -> str:
    """benchit's hash of a PyTorch model (of its repr), computed by benchit's own function."""
    from benchit.analysis.models import model_hash as hash_of

    return hash_of(repr(model))


# ------------------------------------------------------------------------------------ the cache layout
# Where a build keeps its files: the one place tests know the layout
# (`<cache>/<model>/<config>/state.yaml`, one folder per build config; "the build" of a model is its newest).
def model_dir(cache: Path, name: str = HELLO) -> Path:
    return Path(cache) / name


def configs_of(cache: Path) -> list[tuple[str, str]]:
    """(model, build config) of every build config in the cache, the newest state first."""
    found = []
    for model in sorted(p for p in Path(cache).iterdir() if p.is_dir() and not p.name.startswith(".")
                        and p.name not in ("runs", "sweeps", "reports")):
        for config in model.iterdir():
            if (config / "state.yaml").is_file():
                found.append(((config / "state.yaml").stat().st_mtime_ns, model.name, config.name))
    return [(model, config) for _, model, config in sorted(found, reverse=True)]


def build_dir(cache: Path, name: str = HELLO, config: str | None = None) -> Path:
    """A build config's folder: `config`, or the model's newest one."""
    if config is None:
        configs = [c for m, c in configs_of(cache) if m == name] if Path(cache).is_dir() else []
        if not configs:  # gone (deleted) or never built: the model's folder, which then does not exist
            return model_dir(cache, name)
        config = configs[0]
    return model_dir(cache, name) / config


def state_file(cache: Path, name: str = HELLO, config: str | None = None) -> Path:
    return build_dir(cache, name, config) / "state.yaml"


def stats_file(cache: Path, name: str = HELLO, config: str | None = None) -> Path:
    return build_dir(cache, name, config) / "stats.yaml"


def state(cache: Path, name: str = HELLO, config: str | None = None) -> dict:
    return yaml.safe_load(state_file(cache, name, config).read_text())


def stats(cache: Path, name: str = HELLO, config: str | None = None) -> dict:
    path = stats_file(cache, name, config)
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def benchmarks(cache: Path, name: str = HELLO) -> dict:
    """device/runtime -> benchmark, over all the model's build configs (each runtime keeps its own)."""
    found = {}
    for model, config in reversed(configs_of(cache)):  # oldest first: the newest wins
        if model == name:
            found.update(stats(cache, name, config).get("benchmarks") or {})
    return found


# the names the newer tests use
state_of_config, stats_of_config = state, stats


def build_names(cache: Path, prefix: str = "") -> list[str]:
    """The builds in a cache, as `benchit cache list` names them (run in-process: it imports nothing heavy)."""
    import io
    from contextlib import redirect_stdout

    from benchit.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["cache", "list", "--cache-dir", str(cache)]) == 0
    lines = out.getvalue().splitlines()[1:]
    return sorted(line for line in lines if line and line != "(none)" and line.startswith(prefix))


def copy_cache(source: Path, target: Path) -> Path:
    """A copy of a cache made by a real run, without its run folders and locks (a test's own cache)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("runs", "sweeps", ".locks"), symlinks=True)
    return target


# ------------------------------------------------------------------------------------ running benchit
def benchit_env(cache_dir: Path, **extra: str) -> dict:
    env = {**os.environ, "BENCHIT_CACHE_DIR": str(cache_dir), **extra}
    env.pop("HYDRA_FULL_ERROR", None)
    return env


def run_benchit(*args: str, cache_dir: Path, cwd: Path, timeout: float = 600, check: bool = True,
                **env: str) -> subprocess.CompletedProcess:
    """`benchit ARGS` as a user runs it, with its own cache; asserts that it succeeded (unless check=False)."""
    proc = subprocess.run([sys.executable, "-m", "benchit", *args], cwd=cwd, env=benchit_env(cache_dir, **env),
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return proc


def results_dir(proc: subprocess.CompletedProcess) -> Path:
    folders = re.findall(r"^Results: (\S.*)$", proc.stdout, re.M)
    assert folders, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Path(folders[-1])


def figures(benchmark: dict) -> dict:
    """A benchmark record's fields with its latency statistics (`mean_ms`, `median_ms`, ...) alongside."""
    return {**benchmark, **(benchmark.get("latency") or {})}


def results(proc: subprocess.CompletedProcess) -> dict:
    """The run's results.json (the folder named on its `Results:` line)."""
    return json.loads((results_dir(proc) / "results.json").read_text())


def records(proc: subprocess.CompletedProcess) -> dict[str, dict]:
    """build name -> the record of its (selected) invocation in the run's results.json."""
    return {inv["build_name"]: inv for script in results(proc)["scripts"] for m in script.get("models") or []
            for inv in m["invocations"] if inv.get("status") not in ("analyzed", "not selected")}


# ------------------------------------------------------------------------------------ processes and folders
def pid_alive(pid: int) -> bool:
    """Whether a process runs (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every path under the roots with its type and mode, size and mtime (links not followed)."""
    seen = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                seen[path] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen


# ------------------------------------------------------------------------------------ file systems that fail
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _mount(*args: str) -> str | None:
    """Run `mount ARGS`; None when it worked, else the real reason it did not."""
    if shutil.which("mount") is None:
        return "no mount command on this machine"
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return (proc.stderr or proc.stdout).strip().splitlines()[-1] if (proc.stderr or proc.stdout).strip() \
        else f"mount exited {proc.returncode}"


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=True, capture_output=True)


@contextlib.contextmanager
def small_filesystem(folder: Path, size: str):
    """A tmpfs of `size` mounted at `folder`: a disk that fills up. Skips with mount's own reason where this
    machine cannot mount one (not root, or a container without the capability)."""
    folder.mkdir(parents=True, exist_ok=True)
    reason = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    if reason is not None:
        pytest.skip(f"cannot mount a {size} tmpfs at {folder}: {reason}")
    try:
        yield folder
    finally:
        _umount(folder)


def remount(folder: Path, options: str) -> None:
    """Change a tmpfs mounted by small_filesystem/read_only (e.g. `size=64m`, `rw`)."""
    reason = _mount("-o", f"remount,{options}", str(folder))
    assert reason is None, reason


@contextlib.contextmanager
def read_only(source: Path):
    """A read-only copy of the folder `source`, yielded as its path: as root, a tmpfs holding a copy of it,
    remounted read-only (root ignores permission bits); as another user, the copy with its folders chmod 555.
    Skips with the real reason where neither is possible."""
    base = Path(tempfile.mkdtemp(prefix="benchit-ro-", dir=source.parent))
    target = base / source.name
    if IS_ROOT:
        size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) + (16 << 20)
        reason = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(base))
        if reason is not None:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip(f"cannot mount a tmpfs for a read-only cache: {reason}")
        try:
            shutil.copytree(source, target, symlinks=True)
            remount(base, "ro")
            yield target
        finally:
            _umount(base)
            shutil.rmtree(base, ignore_errors=True)
    else:
        shutil.copytree(source, target, symlinks=True)
        folders = [p for p in [target, *target.rglob("*")] if p.is_dir() and not p.is_symlink()]
        for path in folders:
            path.chmod(0o555)
        probe = target / ".probe"
        try:
            probe.write_text("")
        except OSError:
            pass
        else:
            pytest.skip(f"chmod 555 does not make {target} read-only for this user")
        try:
            yield target
        finally:
            for path in folders:
                path.chmod(0o755)
            shutil.rmtree(base, ignore_errors=True)
