"""Run a user's script as `__main__`, the way `python script.py args` would."""

from __future__ import annotations

import gc
import os
import runpy
import shlex
import sys
import traceback
from pathlib import Path

from benchit.records import ScriptEnd


def run_script(script: str | os.PathLike, script_args: str = "") -> ScriptEnd:
    """Execute the script as `__main__` with its folder first on sys.path and argv set.

    The current directory is left as it is; the script's exceptions and sys.exit calls are
    turned into an outcome instead of ending benchit.
    """
    script = str(Path(script).resolve())
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *shlex.split(script_args or "")]
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
        return ScriptEnd()
    except SystemExit as exit_:
        code = exit_.code
        if code in (None, 0):
            return ScriptEnd()
        message = f"exited with code {code}" if isinstance(code, int) else f"exited: {code}"
        return ScriptEnd(status="exited", message=message, location=_location(exit_.__traceback__, script))
    except Exception as error:  # Ctrl-C (KeyboardInterrupt) is not caught: it stops benchit too
        tb = error.__traceback__
        lines = traceback.format_exception_only(type(error), error)
        return ScriptEnd(
            status="raised",
            message=lines[-1].strip() if lines else type(error).__name__,
            location=_location(tb, script),
            traceback="".join(traceback.format_exception(type(error), error, tb)),
        )
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        gc.collect()  # what the script made and did not hand to a model is garbage now: free it


def _location(tb, script: str) -> str:
    """"file, line N": the last line of the script itself in the traceback (not a library's)."""
    location = ""
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == script:
            location = f"{script}, line {lineno}"
    return location
