"""The machine lock, for quiet measurements: while one benchit process measures, no other benchit process on the machine builds or measures.

Two runs on one machine (two terminals, a joblib sweep, a corpus split in two) would otherwise time their models
while the other exports or measures, and both numbers would be slower than the model is. The benchit processes of
one user on one machine share a lock file: a build holds it shared (builds run side by side), a measurement holds
it exclusively (`device.measurement.exclusive`, default true). Other programs are not covered: the robust CV and
the `unstable` flag catch them. The lock is per machine, not per cache: each node of a cluster measures on its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

LOCK_ENV = "BENCHIT_MACHINE_LOCK"  # another lock file, e.g. one shared by containers on one host


def lock_path() -> Path:
    if os.environ.get(LOCK_ENV):
        return Path(os.environ[LOCK_ENV])
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"benchit-{user}-machine.lock"


@contextlib.contextmanager
def machine_lock(exclusive: bool, waiting_for: str) -> Iterator[float]:
    """Hold the machine lock (shared or exclusive); yields the seconds spent waiting for it.

    When it has to wait, one line says so (`waiting_for`: what the others are doing). Where the lock cannot
    be taken (no fcntl, an unwritable temp folder) the work goes on unguarded: a lock must never fail a run.
    """
    try:
        import fcntl

        fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
    except (ImportError, OSError):
        yield 0.0
        return
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    start = time.monotonic()
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"benchit: waiting for another benchit process on this machine to finish {waiting_for}",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, mode)
            print(f"benchit: waited {time.monotonic() - start:.1f} s for the other benchit process",
                  file=sys.stderr, flush=True)
        except OSError:  # a file system without flock: unguarded
            pass
        yield time.monotonic() - start
    finally:
        os.close(fd)  # releases the lock
