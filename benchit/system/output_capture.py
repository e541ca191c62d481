"""Send everything a piece of code prints — Python and native, stdout and stderr — to a file, or keep it.

Used for the user's script (its output is replayed after the model tree), for each build stage
(exporter chatter belongs in log_<stage>.txt, never on the console) and around ONNX Runtime's provider
loading (its errors become part of benchit's one-line message). The only place file descriptors move.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


@dataclass
class Captured:
    text: str = ""  # what was printed, when it went to no file of the caller's


@contextlib.contextmanager
def redirect_output(stdout_path: Path | str | None = None, stderr_path: Path | str | None = None,
                    mode: str = "w") -> Iterator[Captured]:
    """Point file descriptors 1 and 2 (and sys.stdout/sys.stderr) at files for the duration of the block.

    `stdout_path` None: keep the output, in `Captured.text` after the block. `stderr_path` None: stderr
    goes where stdout goes.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    captured = Captured()
    saved_out, saved_err = os.dup(1), os.dup(2)
    out = open(stdout_path, mode + "b") if stdout_path is not None else tempfile.TemporaryFile()
    err = open(stderr_path, mode + "b") if stderr_path is not None else out
    try:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        # Under pytest, Jupyter or an IDE sys.stdout is not fd 1: point the Python streams at the fds too.
        streams = (contextlib.redirect_stdout(sys.__stdout__), contextlib.redirect_stderr(sys.__stderr__)) \
            if sys.__stdout__ is not None and sys.__stderr__ is not None else ()
        with contextlib.ExitStack() as stack, warnings.catch_warnings():
            for stream in streams:
                stack.enter_context(stream)
            warnings.simplefilter("default")  # each warning once per location, into the file
            yield captured
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            if sys.__stdout__ is not None:
                sys.__stdout__.flush()
                sys.__stderr__.flush()
        finally:
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            if stdout_path is None:
                out.seek(0)
                captured.text = out.read().decode("utf-8", errors="replace")
            out.close()
            if err is not out:
                err.close()
