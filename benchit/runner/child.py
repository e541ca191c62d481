"""One script in one worker process: started in its own session, waited for blocking, ended whole.

The wait never spins (that would steal a core from the measurement). A timeout or Ctrl-C ends the worker
and every process its script started; a worker killed by a signal, or one that exits early, becomes a
status line, never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from benchit.cache.files import read_json, write_json
from benchit.config.schema import BenchitConfig, Mode
from benchit.system.processes import end_group, end_worker
from benchit.data import from_data, to_data
from benchit.records import ScriptRecord, Status
from benchit.runner.prestart import take
from benchit.worker import EXIT_UNWRITABLE, WorkerTask

_DONE = {Mode.benchmark: Status.BENCHMARKED, Mode.build: Status.BUILT, Mode.analyze: Status.ANALYZED}


def run_script_in_child(config: BenchitConfig, script: Path, task_dir: Path, cache_dir: Path, labels: dict,
                        progress: bool = False, progress_prefix: str = "") -> ScriptRecord:
    task_dir.mkdir(parents=True, exist_ok=True)
    task = WorkerTask(script=str(script), config=to_data(config), cache_dir=str(cache_dir),
                      result_path=str(task_dir / "result.json"), stdout_path=str(task_dir / "script_stdout.txt"),
                      stderr_path=str(task_dir / "script_stderr.txt"), labels=labels, progress=progress,
                      progress_prefix=progress_prefix, parent_pid=os.getpid())
    task_path = task_dir / "task.json"
    write_json(task_path, to_data(task))
    timeout = float(config.timeout or 0) or None
    child = take()  # the worker the CLI started while Hydra composed, for the run's first script
    if child is not None:
        child.stdin.write(f"{task_path}\n")
        child.stdin.close()
    else:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # Its own session: on timeout the whole process tree the script started is ended.
        child = subprocess.Popen([sys.executable, "-m", "benchit.worker", str(task_path)], stdin=subprocess.DEVNULL,
                                 start_new_session=True, env=env)
    timed_out = False
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        end_worker(child)
        code, timed_out = None, True
    except BaseException:  # Ctrl-C: end the child too, then let the interrupt through
        end_worker(child)
        raise
    end_group(child)  # what the script left running in the worker's group must not disturb the next script
    record = _read_result(task, labels)
    record.stdout_path, record.stderr_path = task.stdout_path, task.stderr_path
    if timed_out:
        record.status, record.message = Status.TIMED_OUT, f"timed out after {timeout:g} s (raise it with timeout=SECONDS)"
    elif code is not None and code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        detail = "out of memory?" if number == signal.SIGKILL else name
        record.status, record.message = Status.KILLED, f"killed by signal {number} ({detail})"
    elif code != 0:
        record.status = Status.FAILED
        if code == EXIT_UNWRITABLE:
            record.message = f"benchit could not write the results in {task_dir} ({_disk_hint(task_dir)})"
        else:
            record.message = record.error or (f"the process ended with exit code {code} before benchit finished "
                                              "(os._exit in the script?)")
    else:
        record.status, record.message = script_status(record, config.mode)
    return record


def _read_result(task: WorkerTask, labels: dict) -> ScriptRecord:
    try:
        return from_data(ScriptRecord, read_json(task.result_path))
    except (OSError, ValueError):  # the worker died before its first write, or mid-way through one
        return ScriptRecord(script=task.script, labels=labels)


def _disk_hint(folder: Path) -> str:
    """Why a folder may not take a write: a full disk, a read-only file system, or permissions."""
    import shutil

    try:
        if shutil.disk_usage(folder).free < 1 << 20:
            return "the disk is full"
    except OSError:
        pass
    return "the disk is full or the folder is not writable"


def script_status(record: ScriptRecord, mode: Mode) -> tuple[Status, str]:
    """A script whose worker finished: how it went, in one word and (when not fine) one line."""
    if record.error:
        return Status.FAILED, record.error
    end = record.script_end
    if end is not None and end.status in ("raised", "exited"):
        where = f" ({end.location})" if end.location else ""
        message = end.message if end.status == "exited" else f"raised: {end.message}"
        return Status.FAILED, f"the script {message}{where}"
    if not record.models:
        return Status.NO_MODELS, "no PyTorch or Keras model was called by this script"
    failures = [inv for _, inv in record.invocations() if inv.status is Status.FAILED]
    if failures:
        return Status.FAILED, f"{len(failures)} model build(s) or benchmark(s) failed"
    return _DONE[mode], ""
