"""The processes a script starts: nothing it leaves behind outlives it, or disturbs the next measurement.

The runner starts each worker in its own session, so a process-group kill reaches whatever the script forked.
A process that leaves the group (`setsid`, a daemon that double-forks) is found another way: the worker makes
itself a child subreaper (Linux), so an orphan below it is re-parented to the worker instead of to init, and
the whole tree can be read (psutil), starting at the worker's pid, for as long as the worker lives.
Elsewhere only the process group is ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

_LINUX = sys.platform.startswith("linux")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not _LINUX:
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int | None) -> None:
    """End this worker if the benchit process that started it dies (`kill -9` of the parent, a lost terminal).

    Otherwise the orphan would go on building and measuring beside the user's next run, disturbing its
    timings, with no timeout to end it. Linux: the kernel sends SIGKILL; the state of a build it was in says
    `running`, so the next run rebuilds it. Elsewhere nothing is set.
    """
    if not parent_pid or not _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL)):
        return
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


def become_subreaper() -> None:
    """Orphans below this process are re-parented to it, not to init: `descendants()` still finds them."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (psutil walks the kernel's process table; zombies are left out)."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    alive = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child.pid)
        except psutil.Error:  # ended meanwhile
            continue
    return alive


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def end_descendants(grace: float = 1.0) -> None:
    """End every process this one started (or adopted as their subreaper): SIGTERM, then SIGKILL after `grace`."""
    tree = descendants(os.getpid())
    if not tree:
        return
    _signal(tree, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        alive = set(descendants(os.getpid()))
        if not (tree := [pid for pid in tree if pid in alive]):
            return
        time.sleep(0.02)
    _signal(tree, signal.SIGKILL)


def end_worker(child: subprocess.Popen, grace: float = 5.0) -> None:
    """End a worker and everything its script started: SIGTERM, then SIGKILL after `grace` seconds.

    The tree is read before each signal, while the worker still holds it together: once the worker is gone,
    its orphans belong to init and nothing links them to this run any more.
    """
    tree: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        tree = sorted(set(tree) | set(descendants(child.pid)))
        _signal_group(child.pid, sig)
        _signal(tree, sig)
        try:
            child.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # Whatever ignored SIGTERM outlives the worker: its group, and the processes seen below it.
    end_group(child)
    _signal(tree, signal.SIGKILL)


def end_group(child: subprocess.Popen) -> None:
    """SIGKILL what is left of a finished worker's process group (a worker killed by a signal cleans up nothing)."""
    _signal_group(child.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
