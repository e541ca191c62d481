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
from benchit.processes import end_group, end_worker

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
    resumed: bool = False  # skipped by --resume: the result is the recorded one


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
    scripts = select_by_labels(scripts, config["input"].get("labels") or [])
    mode = config["mode"]
    if mode == "benchmark":
        check_device(config["device"])
    cache_dir = resolve_cache_dir(config["cache"]["dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty()
    resume = bool(config.get("resume"))
    runs: list[ScriptRun] = []
    print("\nModels discovered during profiling:\n", file=out)
    try:
        _run_scripts(config, scripts, output_dir, cache_dir, mode, progress, resume, runs, out)
    except KeyboardInterrupt:  # Ctrl-C: the scripts finished so far are recorded, then the interrupt goes on
        _write_results(config, JobResult(output_dir=output_dir, scripts=runs), mode, status="interrupted")
        raise
    job = JobResult(output_dir=output_dir, scripts=runs)
    _write_results(config, job, mode, status="failed" if job.failed else "ok")
    print_closing(job, mode, out)
    return job


def _write_results(config: dict[str, Any], job: JobResult, mode: str, status: str) -> None:
    write_json(job.output_dir / "results.json", {
        "config": config,
        "status": status,
        "summary": summary_line(job, mode),
        "scripts": [{"script": str(r.script), "status": r.status, "message": r.message, "outcome": outcome_of(r, mode),
                     **r.result} for r in job.scripts],
    })


def _run_scripts(config: dict[str, Any], scripts: list[Path], output_dir: Path, cache_dir: Path, mode: str,
                 progress: bool, resume: bool, runs: list[ScriptRun], out) -> None:
    """Run each script in its child, appending to `runs` as each one ends (so an interrupt keeps them)."""
    start = time.monotonic()
    for n, script in enumerate(scripts, 1):
        if progress:
            elapsed = int(time.monotonic() - start)
            sys.stderr.write(f"\r\x1b[2Kbenchit: [{n}/{len(scripts)}] {script.name}  "
                             f"{elapsed // 60}:{elapsed % 60:02d} elapsed")
            sys.stderr.flush()
        fingerprint = config_fingerprint(config, script)
        run = resumed_run(cache_dir, script, fingerprint, mode) if resume else None
        if run is None:
            run = run_script_in_child(config, script, output_dir / "scripts" / f"{n:03d}_{script.stem}", cache_dir,
                                      progress, progress_prefix=f"[{n}/{len(scripts)}] " if len(scripts) > 1 else "")
            if run.status == "ok":
                record_done(cache_dir, run, fingerprint, mode)
        runs.append(run)
        print_script(run, mode, out, verbose=bool(config.get("verbose")))


# ---------------------------------------------------------------- label selection
def select_by_labels(scripts: list[Path], wanted: list[str]) -> list[Path]:
    """Keep scripts whose first-line labels match: values of one key are alternatives, keys must all match.

    `input.labels=[author::huggingface,task::fill_mask,task::qa]` keeps scripts by huggingface whose task is
    fill_mask or qa. A value may also list alternatives itself: `task::fill_mask,qa`.
    """
    if not wanted:
        return scripts
    required: dict[str, set[str]] = {}
    for item in wanted:
        key, sep, value = str(item).partition("::")
        if not sep or not key.strip():
            raise RunError(f"bad label '{item}': write labels as key::value, e.g. input.labels=[author::huggingface]")
        required.setdefault(key.strip(), set()).update(v.strip() for v in value.split(",") if v.strip())
    kept = []
    for script in scripts:
        labels = read_labels(script)
        if all(labels.get(key) in values for key, values in required.items()):
            kept.append(script)
    if not kept:
        raise RunError(f"no script has the labels {' '.join(str(w) for w in wanted)} "
                       f"(of {len(scripts)} script(s); labels are read from a first line like "
                       "'# labels: name::bert author::huggingface')")
    return kept


# ---------------------------------------------------------------- resume
RESUME_DIR = ("runs", "_resume")  # inside the cache; `runs` is reserved, so cache commands never take it for a build


def config_fingerprint(config: dict[str, Any], script: Path) -> str:
    """What decides a script's results: its text and the config keys that change builds or measurements.

    Not included: where the cache or outputs are, timeout, verbose, labels, resume.
    """
    import hashlib
    import json

    from benchit.version import __version__

    def file_digest(path: str | Path | None) -> str | None:
        try:
            return hashlib.sha256(Path(os.path.expanduser(str(path))).read_bytes()).hexdigest() if path else None
        except OSError:
            return None

    sequence = dict(config.get("sequence") or {})
    facts = {
        "benchit": __version__,
        "script": file_digest(script),
        "mode": config.get("mode"),
        "max_depth": config.get("max_depth"),
        "hashes": sorted(str(h).lower() for h in config["input"].get("hashes") or []),
        "script_args": config["input"].get("script_args") or "",
        "sequence": sequence,
        "sequence_file": file_digest(sequence.get("file")),
        "device": config.get("device") if config.get("mode") == "benchmark" else None,
        "build": config.get("build"),
        "rebuild": (config.get("cache") or {}).get("rebuild"),
    }
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _record_path(cache_dir: Path, script: Path, fingerprint: str) -> Path:
    import hashlib

    from benchit.cache.layout import safe_build_name

    where = hashlib.sha256(str(script.resolve()).encode()).hexdigest()[:8]
    return cache_dir.joinpath(*RESUME_DIR, fingerprint, f"{safe_build_name(script.stem)}_{where}.json")


def _built_names(result: dict[str, Any], mode: str) -> list[str] | None:
    """Build names the script produced in this mode; None if any selected model did not finish."""
    wanted = {"benchmark": "benchmarked", "build": "built"}.get(mode)
    names = []
    for model in result.get("models") or []:
        for inv in model.get("invocations") or []:
            if not inv.get("selected") or mode == "analyze":
                continue
            if inv.get("status") not in (wanted, "benchmarked"):
                return None
            names.append(inv["build_name"])
    return names


def record_done(cache_dir: Path, run: ScriptRun, fingerprint: str, mode: str) -> None:
    """After a script finished cleanly: remember its config fingerprint and its builds, for --resume."""
    builds = _built_names(run.result, mode)
    if builds is None:
        return
    try:
        write_json(_record_path(cache_dir, run.script, fingerprint), {
            "script": str(run.script), "fingerprint": fingerprint, "mode": mode, "builds": sorted(set(builds)),
            "message": run.message, "result": run.result, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })
    except OSError:
        pass  # a read-only cache only costs the next --resume a rerun


def resumed_run(cache_dir: Path, script: Path, fingerprint: str, mode: str) -> ScriptRun | None:
    """The recorded run of this script with this fingerprint, if every build it made is still in the cache."""
    from benchit.cache.layout import Build

    try:
        record = read_json(_record_path(cache_dir, script, fingerprint))
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != fingerprint:
        return None
    for name in record.get("builds") or []:
        build = Build(cache_dir, name)
        if not build.exists() or (mode == "benchmark" and not build.stats_path.is_file()):
            return None  # deleted or cleaned since: run it again
    run = ScriptRun(script=script, result=record.get("result") or {}, status="ok", message=record.get("message", ""))
    run.resumed = True
    return run


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
                        progress: bool = False, progress_prefix: str = "") -> ScriptRun:
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
        "progress_prefix": progress_prefix,  # "[3/12] ": for the worker's own progress line
        "parent_pid": os.getpid(),  # the worker ends if this process dies (kill -9): no orphan keeps measuring
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
        end_worker(child)
        run.status, run.message = "timed_out", f"timed out after {timeout:g} s (raise it with timeout=SECONDS)"
        code = None
    except BaseException:  # Ctrl-C: end the child too, then let the interrupt through
        end_worker(child)
        raise
    end_group(child)  # what the script left running in the worker's group must not disturb the next script
    try:
        run.result = read_json(result_path)
    except (OSError, ValueError):
        run.result = {}
    if code is not None and code < 0:
        sig = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        detail = "out of memory?" if -code == signal.SIGKILL else sig
        run.status, run.message = "killed", f"killed by signal {-code} ({detail})"
    elif code not in (None, 0):
        from benchit.worker import EXIT_UNWRITABLE

        run.status = "failed"
        if code == EXIT_UNWRITABLE:
            run.message = f"benchit could not write the results in {job_dir} ({_disk_hint(job_dir)})"
        else:
            run.message = run.result.get("error") or (
                f"the process ended with exit code {code} before benchit finished (os._exit in the script?)")
    if run.status == "ok":
        run.status, run.message = _script_status(run.result)
    return run


def _disk_hint(folder: Path) -> str:
    """Why a folder may not take a write: a full disk, a read-only file system, or permissions."""
    import shutil

    try:
        if shutil.disk_usage(folder).free < 1 << 20:
            return "the disk is full"
    except OSError:
        pass
    return "the disk is full or the folder is not writable"


def _script_status(result: dict[str, Any]) -> tuple[str, str]:
    if result.get("error"):
        return "failed", result["error"]
    outcome = result.get("script_outcome") or {}
    if outcome.get("status") in ("raised", "exited"):
        where = f" ({outcome['location']})" if outcome.get("location") else ""
        message = outcome["message"] if outcome["status"] == "exited" else f"raised: {outcome['message']}"
        return "failed", f"the script {message}{where}"
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


def print_script(run: ScriptRun, mode: str, out, verbose: bool = False) -> None:
    from benchit.ui.tree import format_script

    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K")
    result = run.result or {"script": str(run.script), "models": []}
    for line in format_script(result, mode):
        print(line, file=out)
    if run.resumed:
        print(f"\tNote: skipped (resume): already {_DONE_WORD.get(mode, mode)} with this config; "
              "the results above are the recorded ones", file=out)
        print(file=out)
    if run.message:
        print(f"\t{_status_word(run.status)}: {run.message}", file=out)
        print(file=out)
    if verbose:  # verbose=true / --verbose: the tracebacks that otherwise stay in results.json and the logs
        result = run.result or {}
        for text in (result.get("traceback"), (result.get("script_outcome") or {}).get("traceback")):
            if text:
                out.flush()
                sys.stderr.write(text if text.endswith("\n") else text + "\n")
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


_DONE_WORD = {"benchmark": "benchmarked", "build": "built", "analyze": "analyzed"}
# The order of the summary line's parts.
OUTCOMES = ("benchmarked", "built", "analyzed", "without models", "skipped", "failed", "timed out", "killed")


def outcome_of(run: ScriptRun, mode: str) -> str:
    """One word for the summary line: benchmarked | built | analyzed | without models | skipped | failed | ..."""
    if run.status != "ok":
        return run.status.replace("_", " ")
    if run.resumed:
        return "skipped"
    if not (run.result or {}).get("models"):
        return "without models"
    return _DONE_WORD.get(mode, mode)


def summary_line(job: JobResult, mode: str) -> str:
    """"12 scripts: 10 benchmarked, 1 failed, 1 timed out"."""
    counts: dict[str, int] = {}
    for run in job.scripts:
        word = outcome_of(run, mode)
        counts[word] = counts.get(word, 0) + 1
    n = len(job.scripts)
    parts = [f"{counts[word]} {word}" for word in OUTCOMES if counts.get(word)]
    return f"{n} script{'s' if n != 1 else ''}: {', '.join(parts)}"


def print_closing(job: JobResult, mode: str, out) -> None:
    if len(job.scripts) > 1 or job.failed:
        print(f"benchit: {summary_line(job, mode)}", file=out)
    if not job.failed:
        print(CLOSING_LINE, file=out)
    print(f"Results: {job.output_dir}", file=out)
