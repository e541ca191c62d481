"""One script, in a child process: analyze it, then the pipeline builds and benchmarks its models.

    python -m benchit.worker TASK.json

The parent (the runner) waits for this process with a timeout; a crash, sys.exit, hang or leak in the
user's code ends here, never in the sweep. The result file (a ScriptRecord) is rewritten after every step,
so whatever finished before a crash or timeout is still reported.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from benchit.cache.files import read_json, write_json
from benchit.system.processes import become_subreaper, die_with_parent, end_descendants
from benchit.data import from_data, to_data
from benchit.records import ScriptRecord, Status

# The worker's exit code when it could not write its result file (disk full, read-only): nothing else to say it with.
EXIT_UNWRITABLE = 3
# `python -m benchit.worker --prestart`: the first worker of a run, started while the parent composes the config.
PRESTART = "--prestart"


def _get_ready() -> None:
    """What every PyTorch script's worker needs first, done while the parent is still composing: torch itself.

    The script then finds torch already imported (as it would under the older tool, which ran scripts in its
    own process); nothing else is imported ahead, so a Keras script pays only this.
    """
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        import torch  # noqa: F401
    from benchit.pipeline import Pipeline  # noqa: F401 - benchit's own modules too


@dataclass
class WorkerTask:
    """What the runner asks of one worker (task.json)."""

    script: str
    config: dict  # the job's BenchitConfig, as data
    cache_dir: str
    result_path: str
    stdout_path: str
    stderr_path: str
    labels: dict = field(default_factory=dict)
    progress: bool = False  # a progress line on the terminal (stderr is one)
    progress_prefix: str = ""  # "[3/12] "
    parent_pid: int = 0  # the worker ends if this process dies (kill -9): no orphan keeps measuring


class Worker:
    def __init__(self, task: WorkerTask):
        from benchit.config.schema import load_config
        from benchit.ui.progress import Progress

        self.task = task
        self.config = load_config(task.config)
        self.script = Path(task.script)
        self.result = ScriptRecord(script=str(self.script), labels=dict(task.labels))
        self.save_error: OSError | None = None  # the result file could not be written
        self.progress = Progress(task.progress, task.progress_prefix)

    def run(self) -> None:
        from benchit.analysis.recorder import ModelRecorder
        from benchit.analysis.script import run_script
        from benchit.config.schema import Mode
        from benchit.system.output_capture import redirect_output
        from benchit.pipeline import Pipeline

        self.save()
        recorder = ModelRecorder(self.script, max_depth=self.config.max_depth)
        self.progress.show(f"running {self.script.name}")
        recorder.start()
        try:
            with redirect_output(self.task.stdout_path, self.task.stderr_path):
                self.result.script_end = run_script(self.script, self.config.input.script_args)
        finally:
            recorder.stop()
        pipeline = Pipeline(self.config, Path(self.task.cache_dir), source=self.script.stem, script=str(self.script),
                            labels=self.task.labels, log_dir=Path(self.task.result_path).parent, changed=self.save,
                            progress=self.progress.show)
        self.result.models = pipeline.describe(recorder.models)
        self.save()
        targets, unmatched = pipeline.select()
        if unmatched and not self.config.input.several_scripts:
            listed = ", ".join(pipeline.known_ids()) or "none (no model was called)"
            self.result.error = (f"hash filter {','.join(unmatched)} matches no model in {self.script.name}; "
                                 f"hashes found: {listed}")
            for target in targets:  # nothing is built: the filter is wrong
                target.record.status = Status.ANALYZED
        else:  # several scripts: a hash belongs to one of them, the others build nothing
            self.result.unmatched_hashes = unmatched
            if targets and self.config.mode is not Mode.analyze:
                pipeline.run(targets)
        self.result.phase = "done"
        self.save()

    def save(self) -> None:
        try:
            write_json(self.task.result_path, to_data(self.result))
        except OSError as error:  # a full disk or an unwritable run folder: exit EXIT_UNWRITABLE, the parent says so
            self.save_error = error


def main(argv: list[str] | None = None) -> int:
    from benchit.errors import one_line

    argv = sys.argv[1:] if argv is None else argv
    if argv == [PRESTART]:  # started before the parent composed the config: get ready, then wait for the task
        die_with_parent(os.getppid())
        _get_ready()
        line = sys.stdin.readline().strip()
        if not line:  # the parent needed no worker after all (a config error, --cfg): nothing to do
            return 0
        argv = [line]
    task = from_data(WorkerTask, read_json(argv[0]))
    die_with_parent(task.parent_pid)
    become_subreaper()  # what the script starts stays below this process, to be ended with it
    worker = Worker(task)
    try:
        worker.run()
    except Exception as error:
        worker.result.phase = "crashed"
        worker.result.error = one_line(error)
        worker.result.traceback = traceback.format_exc()
        worker.save()
        return EXIT_UNWRITABLE if worker.save_error else 1
    finally:
        worker.progress.clear()
    return EXIT_UNWRITABLE if worker.save_error else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Processes the script left running must not measure beside the next script; threads must not keep the
    # worker alive.
    end_descendants()
    os._exit(code)
