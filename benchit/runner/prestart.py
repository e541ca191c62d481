"""The first worker of a run, started by the CLI before Hydra composes the config.

Composing (Hydra's import, the config groups, the output folder) and the worker's own start (Python, torch)
then happen side by side on two cores instead of one after the other. The first script of the run takes this
worker; the others start their own. A worker that is not needed (a config error, `--cfg`) is told so and ends;
if the parent dies, it dies with it.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

_waiting: subprocess.Popen | None = None


def prestart() -> None:
    global _waiting
    if _waiting is not None or os.environ.get("BENCHIT_NO_PRESTART") == "1":
        return
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    _waiting = subprocess.Popen([sys.executable, "-m", "benchit.worker", "--prestart"], stdin=subprocess.PIPE,
                                start_new_session=True, env=env, text=True)
    atexit.register(_release)


def take() -> subprocess.Popen | None:
    """The waiting worker, if there is one and it is alive (it is handed out once)."""
    global _waiting
    worker, _waiting = _waiting, None
    if worker is not None and worker.poll() is not None:
        return None
    return worker


def _release() -> None:
    """At exit: a worker nobody took reads an empty line and ends."""
    worker = take()
    if worker is None:
        return
    try:
        worker.stdin.close()
        worker.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        worker.kill()
