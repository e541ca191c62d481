"""An import hook: run a callback right after a watched top-level module (torch, keras) finishes importing."""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any, Callable


class PostImportHook(importlib.abc.MetaPathFinder):
    """Calls a callback right after a watched top-level module (torch, keras) finishes importing."""

    def __init__(self, callbacks: dict[str, Callable[[Any], None]]):
        self.callbacks = callbacks
        self._busy: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.callbacks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = None
            for finder in sys.meta_path:  # whoever would have found it without us
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        loader, callbacks = spec.loader, self.callbacks
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            callback = callbacks.pop(fullname, None)  # once, even if the module is imported again
            if callback is not None:
                callback(module)

        loader.exec_module = exec_module
        return spec
