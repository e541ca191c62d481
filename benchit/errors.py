"""Errors as users read them: one line that says what failed and what to do.

`one_line(error)` is the only place that turns an exception into a status line; `root_cause(error)` finds
the innermost meaningful reason in a chain (exporters wrap the real reason two or three times);
`explain_os_error` says what to do about a full disk or an unwritable cache.
"""

from __future__ import annotations

import errno
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Lines that name no reason: wrappers' headlines and tracebacks' furniture.
_EMPTY_HEADLINES = re.compile(
    r"^(Failed to export the model with torch\.export\.?|in user code:?|Traceback.*|"
    r"During handling of the above exception.*|The above exception was the direct cause.*|"
    r"File \".*|\^+|~+)$")

# Exit codes, the same everywhere (docs/troubleshooting.md, "Exit codes").
EXIT_OK = 0
EXIT_RUN_FAILED = 1  # the run happened, and a script, a model or a job failed
EXIT_USAGE = 2  # bad command line or config: nothing ran
EXIT_INTERRUPTED = 130  # Ctrl-C


def clean(text: str) -> str:
    return _ANSI.sub("", text).strip()


def one_line(error: BaseException | str, limit: int = 300) -> str:
    """`Type: first meaningful line of the message`, without colour codes, at most `limit` characters."""
    if isinstance(error, BaseException):
        text = clean(str(error))
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        meaningful = [line for line in lines if not _EMPTY_HEADLINES.match(line)]
        head = (meaningful or lines or [""])[0]
        line = f"{type(error).__name__}: {head}" if head else type(error).__name__
    else:
        lines = clean(error).splitlines()
        line = lines[0] if lines else ""
    line = line.split(" This is step ")[0]  # torch.onnx's "This is step 3/3 of exporting... Next steps:"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def chain(error: BaseException) -> list[BaseException]:
    """The exception and every cause or context behind it, outermost first."""
    seen, found = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return found


class Summary(Exception):
    """An error whose message already sums up the reasons of the errors behind it (no exporter could ...):
    it is the root cause users read, not what it chains."""


def root_cause(error: BaseException, limit: int = 300) -> str:
    """The innermost exception of the chain that says something: the reason a user can act on."""
    errors = chain(error)
    summary = next((e for e in errors if isinstance(e, Summary)), None)
    if summary is not None:
        return one_line(summary, limit)
    for inner in reversed(errors):
        text = one_line(inner, limit)
        if text and text != type(inner).__name__:
            return text
    return one_line(error, limit)


def explain_os_error(error: OSError) -> str:
    """"Read-only file system: /cache/runs (the cache must be writable: ...)": what failed, where, what to do."""
    where = f": {error.filename}" if error.filename else ""
    text = f"{error.strerror or error}{where}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{text} (the disk is full: free space, or put the cache elsewhere with cache.dir=DIR)"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"{text} (the cache must be writable: pick another with cache.dir=DIR or --cache-dir DIR)"
    return text
