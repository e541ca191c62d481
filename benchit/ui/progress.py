"""The one progress line: on a terminal only, rewritten in place, cleared before anything else prints."""

from __future__ import annotations

import sys

_CLEAR = "\r\x1b[2K"  # carriage return, erase the line


class Progress:
    def __init__(self, enabled: bool, prefix: str = ""):
        self.enabled = enabled and sys.stderr.isatty()
        self.prefix = prefix
        self._shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"{_CLEAR}benchit: {self.prefix}{text}")
            sys.stderr.flush()
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write(_CLEAR)
            sys.stderr.flush()
            self._shown = False
