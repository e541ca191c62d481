"""Names and places: what the script calls a model, and where it created it, read from its frames.

Frames of libraries (the standard library, site-packages, benchit itself) are skipped, so a model built
inside transformers is located at the script's line that asked for it.
"""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
import types
import weakref
from pathlib import Path
from typing import Any

_ANALYSIS_DIR = str(Path(__file__).resolve().parent) + os.sep
_BENCHIT_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is a library, not the user's: the standard library and site-packages."""
    found = set()
    paths = [sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        paths += site.getsitepackages() + [site.getusersitepackages()]
    except AttributeError:  # some virtualenvs ship an old site.py
        pass
    for path in paths:
        if path:
            found.add(str(Path(path)) + os.sep)
            found.add(str(Path(path).resolve()) + os.sep)
    return tuple(sorted(found, key=len, reverse=True))


_LIBRARY_DIRS = _library_dirs()


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ScriptView:
    """The script's point of view: which code is the user's, where its modules were made, what it names them."""

    def __init__(self, script: str | os.PathLike):
        self.script_dir = str(Path(script).resolve().parent) + os.sep
        self.locations: "weakref.WeakKeyDictionary[Any, tuple[str, int]]" = weakref.WeakKeyDictionary()
        self._library: dict[str, bool] = {}

    def user_frame(self, frame):
        while frame is not None and self.is_library(frame.f_code.co_filename):
            frame = frame.f_back
        return frame

    def user_site(self) -> tuple[str, int] | None:
        frame = self.user_frame(sys._getframe(1))
        return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None

    def name_of(self, model, framework: str, top_model, taken: set[str]) -> str | None:
        """The name the script uses for `model`: a variable, an attribute, a list or dict item."""
        if top_model is not None:  # a sub-module: its attribute path inside the top-level model
            return sub_name(top_model, model, framework)
        frame = self.user_frame(sys._getframe(1))
        if frame is None:
            return None
        names = self._names_in(frame, model)
        if names and names[0].startswith("self."):  # inside a method: name the object as its caller does
            owner = frame.f_locals.get("self")
            outer = self.user_frame(frame.f_back)
            while outer is not None and owner is not None:
                found = [n for n in self._names_in(outer, owner) if not n.startswith("self")]
                if found:
                    names.insert(0, found[0] + names[0][4:])
                    break
                outer = self.user_frame(outer.f_back)
        for name in names:  # a variable already naming another model (a loop variable): prefer a free name
            if name not in taken:
                return name
        return names[0] if names else None

    @staticmethod
    def _names_in(frame, obj) -> list[str]:
        """Names of `obj` in a frame: items of lists and dicts first, then variables, then attributes."""
        scopes = [frame.f_locals]
        if frame.f_globals is not frame.f_locals:
            scopes.append(frame.f_globals)
        items, direct, attributes = [], [], []
        for scope in scopes:
            for name, value in list(scope.items()):
                if name.startswith("__"):
                    continue
                if value is obj:
                    if not name.startswith("_"):
                        direct.append(name)
                    continue
                found = find_inside(name, value, obj)
                if found:
                    (attributes if "." in found else items).append(found)
        return items + direct + attributes

    def remember_location(self, module, frame) -> None:
        """Where the script created this module: skip library frames and the module's own __init__ chain."""
        while frame is not None:
            code = frame.f_code
            if self.is_library(code.co_filename):
                frame = frame.f_back
            elif code.co_name == "__init__" and frame.f_locals.get("self") is module:
                frame = frame.f_back
            else:
                break
        if frame is not None:
            try:
                self.locations[module] = (frame.f_code.co_filename, frame.f_lineno)
            except TypeError:
                pass

    def is_library(self, filename: str) -> bool:
        known = self._library.get(filename)
        if known is None:
            known = self._library[filename] = self._classify(filename)
        return known

    def _classify(self, filename: str) -> bool:
        if filename.startswith(_ANALYSIS_DIR) or filename.startswith("<"):
            return True
        if filename.startswith(self.script_dir):  # unless a library folder lies inside the script's folder
            return any(filename.startswith(d) and len(d) > len(self.script_dir) for d in _LIBRARY_DIRS)
        return filename.startswith(_BENCHIT_DIR) or filename.startswith(_LIBRARY_DIRS)



def direct_forward_owner(model, frame, limit: int = 60):
    """The module whose forward is running without a call (`net.forward(x)` in the script), if `model` is one of
    its sub-modules: the recorder then sees the sub-module as a model of its own, and says why."""
    for _ in range(limit):
        if frame is None:
            return None
        owner = frame.f_locals.get("self") if frame.f_code.co_name == "forward" else None
        if owner is not None and owner is not model and hasattr(owner, "modules"):
            try:
                return owner if any(m is model for m in owner.modules()) else None
            except Exception:  # a module that cannot list its sub-modules: no claim
                return None
        frame = frame.f_back
    return None


def sub_name(top, model, framework: str) -> str | None:
    if framework == "keras":
        from benchit.analysis import keras_support

        return keras_support.sub_name(top, model)
    for name, sub in getattr(top, "named_modules", lambda: [])():
        if sub is model:
            return name
    return None


def find_inside(name: str, value: Any, model) -> str | None:
    """One level deep: obj.attr, seq[i], mapping[key]."""
    try:
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if item is model:
                    return f"{name}[{i}]"
        elif isinstance(value, dict):
            for key, item in value.items():
                if item is model:
                    return f"{name}[{key!r}]"
        elif isinstance(value, (type, types.ModuleType, types.FunctionType)):
            return None
        else:
            modules = getattr(value, "_modules", None)  # a torch module holding the model
            if isinstance(modules, dict):
                for attr, item in modules.items():
                    if item is model:
                        return f"{name}.{attr}"
            attrs = getattr(value, "__dict__", None)
            if isinstance(attrs, dict):
                for attr, item in attrs.items():
                    if item is model and not attr.startswith("_"):
                        return f"{name}.{attr}"
    except Exception:  # an exotic object: no name from it
        return None
    return None
