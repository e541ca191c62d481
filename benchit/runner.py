"""One benchit job (one Hydra run, or one job of a multirun): every input script, each in a child.

The parent never imports torch: it resolves the scripts, checks the device, starts one worker
process per script with a timeout, waits for it blocking (never spinning: that would steal a
core from the measurement), then prints the tree and records the results.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.files import read_json, write_json
from benchit.cache.layout import resolve_cache_dir

CLOSING_LINE = ("Woohoo! The 'benchmark' command is complete. Use the 'report' command to get a .csv file "
                "that summarizes results across all builds in the cache.")


class RunError(Exception):
    """Bad input found before any work started; the message is the one line the user sees."""


@dataclass
class ScriptRun:
    script: Path
    result: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"  # ok | failed | timed_out | killed
    message: str = ""
    stdout_path: Path | None = None
    stderr_path: Path | None = None


@dataclass
class JobResult:
    output_dir: Path
    scripts: list[ScriptRun]

    @property
    def failed(self) -> bool:
        return any(run.status != "ok" for run in self.scripts)


def resolve_scripts(input_cfg: dict[str, Any]) -> list[Path]:
    """input.script, input.scripts (paths or globs) and input.search_dir, in that order, deduplicated."""
    wanted: list[str] = []
    if input_cfg.get("script"):
        wanted.append(str(input_cfg["script"]))
    wanted.extend(str(s) for s in input_cfg.get("scripts") or [])
    scripts: list[Path] = []
    for item in wanted:
        path = Path(os.path.expanduser(item))
        if any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(item), recursive=True) if p.endswith(".py"))
            if not matches:
                raise RunError(f"no script matches '{item}'")
            scripts.extend(matches)
            continue
        if not path.exists():
            raise RunError(f"script not found: {item} (give a path to a .py file, or input=<name> for a shipped example)")
        if path.is_dir() or path.suffix != ".py":
            raise RunError(f"not a Python script: {item} (benchit runs .py files; for a folder use input.search_dir)")
        scripts.append(path)
    search_dir = input_cfg.get("search_dir")
    if search_dir:
        folder = Path(os.path.expanduser(str(search_dir)))
        if not folder.is_dir():
            raise RunError(f"search directory not found: {search_dir}")
        scripts.extend(sorted(p for p in folder.glob("*.py") if not p.name.startswith("_")))
    if not scripts:
        raise RunError("no input script: give one with input.script=path/to/script.py (or input=hello_world)")
    unique: dict[Path, None] = {}
    for script in scripts:
        unique.setdefault(script.resolve(), None)
    return list(unique)


def run_job(config: dict[str, Any], output_dir: Path, out=sys.stdout) -> JobResult:
    """Run every script of one composed config; print the tree; write results.json in output_dir."""
    scripts = resolve_scripts(config["input"])
    mode = config["mode"]
    if mode == "benchmark":
        check_device(config["device"])
    cache_dir = resolve_cache_dir(config["cache"]["dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty()
    runs = []
    print("\nModels discovered during profiling:\n", file=out)
    for n, script in enumerate(scripts, 1):
        if progress:
            sys.stderr.write(f"\r\x1b[2Kbenchit: [{n}/{len(scripts)}] {script.name}")
            sys.stderr.flush()
        run = run_script_in_child(config, script, output_dir / "scripts" / f"{n:03d}_{script.stem}", cache_dir,
                                  progress)
        runs.append(run)
        print_script(run, mode, out)
    job = JobResult(output_dir=output_dir, scripts=runs)
    write_json(output_dir / "results.json", {
        "config": config,
        "scripts": [{"script": str(r.script), "status": r.status, "message": r.message, **r.result} for r in runs],
    })
    print_closing(job, out)
    return job


def check_device(device_cfg: dict[str, Any]) -> None:
    from hydra.utils import instantiate

    from benchit.devices.base import DeviceUnavailable

    try:
        device = instantiate(device_cfg, _convert_="all")
        device.check_available()
    except DeviceUnavailable as error:
        raise RunError(f"device={device_cfg.get('name')}: {error}") from None
    except Exception as error:
        cause = error.__cause__ or error
        raise RunError(f"device={device_cfg.get('name')}: {cause}") from None


def run_script_in_child(config: dict[str, Any], script: Path, job_dir: Path, cache_dir: Path,
                        progress: bool = False) -> ScriptRun:
    job_dir.mkdir(parents=True, exist_ok=True)
    run = ScriptRun(script=script, stdout_path=job_dir / "script_stdout.txt", stderr_path=job_dir / "script_stderr.txt")
    result_path = job_dir / "result.json"
    job = {
        "script": str(script),
        "config": config,
        "cache_dir": str(cache_dir),
        "result_path": str(result_path),
        "stdout_path": str(run.stdout_path),
        "stderr_path": str(run.stderr_path),
        "labels": read_labels(script),
        "progress": progress,
    }
    job_path = job_dir / "job.json"
    write_json(job_path, job)
    timeout = float(config.get("timeout") or 0) or None
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Its own session: on timeout the whole process tree the script started is ended.
    child = subprocess.Popen([sys.executable, "-m", "benchit.worker", str(job_path)], stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env)
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(child)
        run.status, run.message = "timed_out", f"timed out after {timeout:g} s (raise it with timeout=SECONDS)"
        code = None
    except BaseException:  # Ctrl-C: end the child too, then let the interrupt through
        _kill_tree(child)
        raise
    try:
        run.result = read_json(result_path)
    except (OSError, ValueError):
        run.result = {}
    if code is not None and code < 0:
        sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        run.status, run.message = "killed", f"killed by signal {-code} ({sig}){hint}"
    elif code not in (None, 0):
        run.status = "failed"
        run.message = run.result.get("error") or f"benchit worker exited with code {code}"
    if run.status == "ok":
        run.status, run.message = _script_status(run.result)
    return run


def _kill_tree(child: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _script_status(result: dict[str, Any]) -> tuple[str, str]:
    if result.get("error"):
        return "failed", result["error"]
    outcome = result.get("script_outcome") or {}
    if outcome.get("status") in ("raised", "exited"):
        where = f" ({outcome['location']})" if outcome.get("location") else ""
        return "failed", f"the script {outcome['status']}: {outcome['message']}{where}"
    models = result.get("models") or []
    if not models:
        return "ok", "no PyTorch or Keras model was called by this script"
    failures = [inv for m in models for inv in m["invocations"] if inv.get("status") == "failed"]
    if failures:
        return "failed", f"{len(failures)} model build(s) or benchmark(s) failed"
    return "ok", ""


def read_labels(script: Path) -> dict[str, str]:
    """`# labels: name::bert author::huggingface` on the script's first line."""
    try:
        with open(script, encoding="utf-8", errors="replace") as f:
            first = f.readline()
    except OSError:
        return {}
    if not first.lstrip().startswith("# labels:"):
        return {}
    labels = {}
    for item in first.split(":", 1)[1].split():
        key, sep, value = item.partition("::")
        if sep:
            labels[key] = value
    return labels


def print_script(run: ScriptRun, mode: str, out) -> None:
    from benchit.ui.tree import format_script

    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K")
    result = run.result or {"script": str(run.script), "models": []}
    for line in format_script(result, mode):
        print(line, file=out)
    if run.message:
        print(f"\t{_status_word(run.status)}: {run.message}", file=out)
        print(file=out)
    for path, stream in ((run.stdout_path, out), (run.stderr_path, sys.stderr)):
        if path is not None and path.exists() and path.stat().st_size:
            out.flush()
            with open(path, encoding="utf-8", errors="replace") as f:
                for chunk in iter(lambda: f.read(1 << 16), ""):
                    stream.write(chunk)
            stream.flush()
    print(file=out)


def _status_word(status: str) -> str:
    return {"ok": "Note", "failed": "Error", "timed_out": "Error", "killed": "Error"}[status]


def print_closing(job: JobResult, out) -> None:
    counts: dict[str, int] = {}
    for run in job.scripts:
        counts[run.status] = counts.get(run.status, 0) + 1
    if job.failed:
        n = len(job.scripts)
        parts = [f"{counts.get('ok', 0)} succeeded"]
        parts += [f"{counts[k]} {k.replace('_', ' ')}" for k in ("failed", "timed_out", "killed") if counts.get(k)]
        print(f"benchit: {n} script{'s' if n != 1 else ''}: {', '.join(parts)}. Results: {job.output_dir}", file=out)
    else:
        print(CLOSING_LINE, file=out)
        print(f"Results: {job.output_dir}", file=out)
