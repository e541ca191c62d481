"""One job: resolve the scripts, check the device, run each script in its child, print, write results.json."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchit.analysis.inputs import InputError, read_labels, resolve_scripts, select_by_labels
from benchit.cache.files import write_json
from benchit.cache.layout import resolve_cache_dir
from benchit.config.schema import BenchitConfig, Mode
from benchit.data import to_data
from benchit.records import JobRecord, ScriptRecord, Status
from benchit.runner.child import run_script_in_child
from benchit.runner.resume import config_fingerprint, remember, resumed
from benchit.ui.console import Console


class RunError(Exception):
    """Bad input found before any work started; the message is the one line the user sees."""


def check_before_work(config: BenchitConfig) -> list[Path]:
    """Everything that can be checked before a script runs: scripts, labels, sequence file, device, cache."""
    from benchit.build.sequence import check_sequence_file

    try:
        scripts = select_by_labels(resolve_scripts(config.input), config.input.labels)
    except InputError as error:
        raise RunError(str(error)) from None
    if config.mode is not Mode.analyze and config.sequence.file:
        problem = check_sequence_file(config.sequence.file)
        if problem:
            raise RunError(problem)
    if config.mode is Mode.benchmark:
        check_device(config)
    check_cache_dir(config)
    return scripts


def check_cache_dir(config: BenchitConfig) -> None:
    """The cache exists or can be made (a full disk or a read-only cache still fails later, with its line)."""
    try:
        resolve_cache_dir(config.cache.dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        from benchit.errors import explain_os_error

        raise RunError(f"cache.dir={config.cache.dir}: {explain_os_error(error)}") from None


def check_device(config: BenchitConfig) -> None:
    from benchit.devices.base import DeviceUnavailable, device_from_config
    from benchit.errors import root_cause

    try:
        device_from_config(config.device).check_available()
    except (DeviceUnavailable, ValueError) as error:
        raise RunError(f"device={config.device.name}: {error}") from None
    except Exception as error:  # noqa: BLE001 - a device class that cannot even be made: one line too
        raise RunError(f"device={config.device.name}: {root_cause(error)}") from None


def run_job(config: BenchitConfig, output_dir: Path, out=sys.stdout) -> JobRecord:
    """Run every script of one composed config; print the tree; write results.json in output_dir."""
    scripts = check_before_work(config)
    cache_dir = resolve_cache_dir(config.cache.dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    console = Console(out, config.mode, verbose=config.verbose)
    job = JobRecord(status=Status.OK, config=to_data(config))
    try:
        _run_scripts(config, scripts, output_dir, cache_dir, console, job)
    except KeyboardInterrupt:  # Ctrl-C: the scripts finished so far are recorded, then the interrupt goes on
        job.status = Status.INTERRUPTED
        job.summary = console.summary_line(job.scripts)
        write_json(output_dir / "results.json", to_data(job))
        raise
    job.status = Status.FAILED if any(s.status.is_failure for s in job.scripts) else Status.OK
    job.summary = console.summary_line(job.scripts)
    write_json(output_dir / "results.json", to_data(job))
    console.closing(job, output_dir)
    return job


def _run_scripts(config: BenchitConfig, scripts: list[Path], output_dir: Path, cache_dir: Path,
                 console: Console, job: JobRecord) -> None:
    """Run each script in its child, appending to `job.scripts` as each ends (so an interrupt keeps them)."""
    start = time.monotonic()
    several = len(scripts) > 1
    for n, script in enumerate(scripts, 1):
        prefix = f"[{n}/{len(scripts)}] " if several else ""
        console.progress(f"{prefix}{script.name}", time.monotonic() - start)
        fingerprint = config_fingerprint(config, script)
        record: ScriptRecord | None = resumed(cache_dir, script, fingerprint, config.mode) if config.resume else None
        if record is None:
            record = run_script_in_child(config, script, output_dir / "scripts" / f"{n:03d}_{script.stem}", cache_dir,
                                         read_labels(script), progress=console.interactive, progress_prefix=prefix)
            if not record.status.is_failure:
                remember(cache_dir, record, fingerprint)
        job.scripts.append(record)
        console.script(record)
