"""Send everything a piece of code prints — Python and native, stdout and stderr — to files.

Used for the user's script (its output is replayed after the model tree) and for each build
stage (exporter chatter belongs in log_<stage>.txt, never on the console).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from pathlib import Path


@contextlib.contextmanager
def redirect_output(stdout_path: Path | str, stderr_path: Path | str | None = None, mode: str = "w"):
    """Point file descriptors 1 and 2 at files for the duration of the block (stderr_path=None: same file)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    out = open(stdout_path, mode + "b")
    err = open(stderr_path, mode + "b") if stderr_path is not None else out
    try:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # each warning once per location, into the file
            yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            out.close()
            if err is not out:
                err.close()
