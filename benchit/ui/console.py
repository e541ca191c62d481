"""The run's console: the tree's header, each script's block and its own output, the closing lines."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from benchit.records import SUMMARY_ORDER, JobRecord, ScriptRecord, Status
from benchit.ui.progress import Progress
from benchit.ui.tree import format_script

HEADER = "\nModels discovered during profiling:\n"
CLOSING_LINE = ("Woohoo! The 'benchmark' command is complete. Use the 'report' command to get a .csv file "
                "that summarizes results across all builds in the cache.")
_WHAT_RAN = {
    "analyze": "Woohoo! The 'benchmark' command is complete: models discovered (analyze only: nothing was built or "
               "benchmarked).",
    "build": "Woohoo! The 'benchmark' command is complete: models built (build only: nothing was benchmarked). Use "
             "the 'report' command to get a .csv file that summarizes results across all builds in the cache.",
}
_DONE_WORD = {"benchmark": "benchmarked", "build": "built", "analyze": "analyzed"}


# Native log lines libraries print as they start (glog / absl: "E0000 00:00:1733 123 cuda_executor.cc:1228] ..."),
# and TensorFlow's banners: kept in the script's stderr file, not replayed on the console.
_LIBRARY_CHATTER = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\]|WARNING: All log messages before "
                              r"absl::InitializeLog|To enable the following instructions:|This TensorFlow binary is "
                              r"optimized|.*oneDNN custom operations are on)")


def _replay(path: str, stream, out, drop: re.Pattern | None = None) -> int:
    """Write a file the script's output went to onto `stream`; returns how many lines `drop` kept back."""
    if not path or not Path(path).is_file() or not Path(path).stat().st_size:
        return 0
    out.flush()
    dropped = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        if drop is None:
            for chunk in iter(lambda: f.read(1 << 16), ""):
                stream.write(chunk)
        else:
            for line in f:
                if drop.match(line):
                    dropped += 1
                else:
                    stream.write(line)
    stream.flush()
    return dropped


class Console:
    def __init__(self, out, mode, verbose: bool = False):
        self.out = out
        self.mode = mode.value if hasattr(mode, "value") else str(mode)
        self.verbose = verbose
        self.interactive = sys.stderr.isatty()
        self._progress = Progress(self.interactive)
        self._header_shown = False

    def progress(self, text: str, elapsed: float) -> None:
        seconds = int(elapsed)
        self._progress.show(f"{text}  {seconds // 60}:{seconds % 60:02d} elapsed")

    def script(self, record: ScriptRecord) -> None:
        """One script's block of the tree, its notes, then what the script itself printed."""
        self._progress.clear()
        out = self.out
        if not self._header_shown:  # after the script ran: a line it (or the machine lock) printed stays above
            print(HEADER, file=out)
            self._header_shown = True
        for line in format_script(record, self.mode):
            print(line, file=out)
        if record.status is Status.SKIPPED:
            print(f"\tNote: skipped (resume): already {_DONE_WORD.get(self.mode, self.mode)} with this config; "
                  "the results above are the recorded ones", file=out)
            print(file=out)
        if record.message:
            word = "Error" if record.status.is_failure else "Note"
            print(f"\t{word}: {record.message}", file=out)
            print(file=out)
        if self.verbose:  # verbose=true / --verbose: the tracebacks that otherwise stay in results.json and the logs
            for text in (record.traceback, record.script_end.traceback if record.script_end else ""):
                if text:
                    out.flush()
                    sys.stderr.write(text if text.endswith("\n") else text + "\n")
        _replay(record.stdout_path, out, out)
        hidden = _replay(record.stderr_path, sys.stderr, out, drop=_LIBRARY_CHATTER)
        if hidden:
            print(f"\tNote: {hidden} line(s) of library start-up messages (TensorFlow, absl) are in "
                  f"{record.stderr_path}", file=sys.stderr)
        print(file=out)

    def summary_line(self, scripts: list[ScriptRecord]) -> str:
        """"12 scripts: 10 benchmarked, 1 failed, 1 timed out"."""
        counts: dict[Status, int] = {}
        for record in scripts:
            counts[record.status] = counts.get(record.status, 0) + 1
        n = len(scripts)
        words = {Status.NO_MODELS: "without models"}  # "1 no models" reads as a contradiction
        parts = [f"{counts[status]} {words.get(status, status.value)}" for status in SUMMARY_ORDER if counts.get(status)]
        return f"{n} script{'s' if n != 1 else ''}: {', '.join(parts)}"

    def closing(self, job: JobRecord, output_dir: Path) -> None:
        failed = job.status is Status.FAILED
        if not self._header_shown:
            print(HEADER, file=self.out)
        if len(job.scripts) > 1 or failed:
            print(f"benchit: {job.summary}", file=self.out)
        if not failed:
            print(_WHAT_RAN.get(self.mode, CLOSING_LINE), file=self.out)
        print(f"Results: {output_dir}", file=self.out)
