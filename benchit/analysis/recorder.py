"""Hooks that record model calls while a user's script runs.

torch.nn.Module.__call__ is wrapped (global forward hooks cannot see keyword arguments), and so is
Module.__init__ (to know where each model was created). Both are installed the moment the script
imports torch, through an import hook, and removed when the script ends, so calls that benchit
itself makes afterwards (export, validation, benchmarking) are never counted.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import re
import sys
import sysconfig
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable

from benchit.analysis.models import Invocation, ModelInfo, model_hash

_BENCHIT_DIR = str(Path(__file__).resolve().parent.parent)
_LIBRARY_DIRS = tuple(
    {str(Path(p).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib") if (p := sysconfig.get_path(key))}
)


def signature_of(value: Any) -> Any:
    """A hashable description of a call argument: shapes and dtypes for tensors, values for scalars."""
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return ("T", tuple(shape), str(value.dtype))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(signature_of(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, signature_of(v)) for k, v in value.items()))
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("V", value)
    return ("O", type(value).__name__)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Calls a callback right after a watched top-level module (torch, keras) finishes importing."""

    def __init__(self, callbacks: dict[str, Callable[[Any], None]]):
        self.callbacks = callbacks
        self._busy: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.callbacks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        loader, callback = spec.loader, self.callbacks[fullname]
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            callback(module)

        loader.exec_module = exec_module
        return spec


class ModelRecorder:
    """Records models called by the script (depth 0) and their sub-modules down to `max_depth`."""

    def __init__(self, script: str | os.PathLike, max_depth: int = 0):
        self.script_dir = str(Path(script).resolve().parent)
        self.script_stem = Path(script).stem
        self.max_depth = max_depth
        self.models: list[ModelInfo] = []
        self._by_id: dict[int, ModelInfo] = {}
        self._fast: dict[tuple, Invocation] = {}  # (id(model), arg signature) -> invocation
        self._locations: "weakref.WeakKeyDictionary[Any, tuple[str, int]]" = weakref.WeakKeyDictionary()
        self._local = threading.local()
        self._active = False
        self._undo: list[Callable[[], None]] = []
        self._finder: _PostImportFinder | None = None

    # ------------------------------------------------------------------ install / remove
    def start(self) -> None:
        self._active = True
        watchers = {"torch": self._install_torch, "keras": self._install_keras}
        for name, install in list(watchers.items()):
            if name in sys.modules:
                install(sys.modules[name])
                del watchers[name]
        if watchers:
            self._finder = _PostImportFinder(watchers)
            sys.meta_path.insert(0, self._finder)

    def stop(self) -> None:
        self._active = False
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        while self._undo:
            self._undo.pop()()

    def _install_torch(self, torch_module) -> None:
        module_cls = torch_module.nn.Module
        original_call, original_init = module_cls.__call__, module_cls.__init__
        recorder = self

        def __call__(module, *args, **kwargs):
            return recorder._on_call(module, "pytorch", original_call, args, kwargs)

        def __init__(module, *args, **kwargs):
            original_init(module, *args, **kwargs)
            if recorder._active:
                recorder._remember_location(module)

        module_cls.__call__ = __call__
        module_cls.__init__ = __init__

        def undo():
            module_cls.__call__ = original_call
            module_cls.__init__ = original_init

        self._undo.append(undo)

    def _install_keras(self, keras_module) -> None:
        from benchit.analysis import keras_support

        self._undo.append(keras_support.install(self, keras_module))

    # ------------------------------------------------------------------ bookkeeping
    def _stack(self) -> list:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _on_call(self, model, framework: str, original_call, args, kwargs):
        if not self._active:
            return original_call(model, *args, **kwargs)
        stack = self._stack()
        depth = len(stack)
        if depth > self.max_depth or (depth == 0 and not self._is_target(model, framework)):
            stack.append(model)
            try:
                return original_call(model, *args, **kwargs)
            finally:
                stack.pop()
        invocation = self._invocation(model, framework, depth, stack, args, kwargs)
        stack.append(model)
        start = time.perf_counter()
        try:
            outputs = original_call(model, *args, **kwargs)
        finally:
            invocation.seconds += time.perf_counter() - start
            invocation.calls += 1
            stack.pop()
        if invocation.calls == 1:
            invocation.outputs = _detached(outputs)
        return outputs

    def _is_target(self, model, framework: str) -> bool:
        if framework == "keras":
            from benchit.analysis import keras_support

            return keras_support.is_model(model)
        return True

    def _invocation(self, model, framework, depth, stack, args, kwargs) -> Invocation:
        try:
            key = (id(model), signature_of(args), signature_of(kwargs))
            invocation = self._fast.get(key)
        except TypeError:  # an unhashable value inside the signature
            key, invocation = None, None
        if invocation is not None:
            return invocation
        info = self._by_id.get(id(model))
        if info is None or info.model is not model:
            parent = self._by_id.get(id(stack[0])) if stack else None
            info = self._describe(model, framework, depth, parent)
            self._by_id[id(model)] = info
            self.models.append(info)
        args, kwargs, arg_names = _normalize_call(model, framework, args, kwargs)
        full_signature = (signature_of(args), signature_of(kwargs))
        for existing in info.invocations:  # same tensors passed positionally vs by keyword
            if existing.signature == full_signature:
                invocation = existing
                break
        else:
            invocation = Invocation(
                signature=full_signature,
                index=len(info.invocations) + 1,
                args=_detached(args),
                kwargs=_detached(kwargs),
                arg_names=arg_names,
            )
            info.invocations.append(invocation)
        if key is not None:
            self._fast[key] = invocation
        return invocation

    def _describe(self, model, framework: str, depth: int, parent: ModelInfo | None) -> ModelInfo:
        if framework == "keras":
            from benchit.analysis import keras_support

            description, params = keras_support.summary(model), keras_support.count_params(model)
        else:
            description, params = repr(model), sum(p.numel() for p in model.parameters())
        cls = type(model)
        class_path = str(cls)
        if cls.__module__ == "__main__":  # the script runs as __main__; users know it by its file name
            class_path = class_path.replace("'__main__.", f"'{self.script_stem}.")
        return ModelInfo(
            model=model,
            framework=framework,
            name=self._name_of(model, parent) or _snake(cls.__name__),
            class_name=cls.__name__,
            class_path=class_path,
            location=self._locations.get(model),
            params=int(params),
            hash=model_hash(description),
            depth=depth,
            parent=parent,
        )

    def _name_of(self, model, parent: ModelInfo | None) -> str | None:
        """The name the script uses for `model`: a variable, an attribute, a list or dict item."""
        if parent is not None:  # a sub-module: its attribute path inside the top-level model
            for name, sub in getattr(parent.model, "named_modules", lambda: [])():
                if sub is model:
                    return name
            return None
        frame = sys._getframe(3)
        while frame is not None and self._is_library(frame.f_code.co_filename):
            frame = frame.f_back
        if frame is None:
            return None
        scopes = [frame.f_locals]
        if frame.f_globals is not frame.f_locals:
            scopes.append(frame.f_globals)
        for scope in scopes:
            for name, value in scope.items():
                if value is model and not name.startswith("_"):
                    return name
        for scope in scopes:
            for name, value in list(scope.items()):
                found = _find_inside(name, value, model)
                if found:
                    return found
        return None

    def _remember_location(self, module) -> None:
        """Where the script created this module: skip the __init__ chain, then library frames."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is module:
            frame = frame.f_back
        first = frame
        while frame is not None and self._is_library(frame.f_code.co_filename):
            frame = frame.f_back
        chosen = frame or first
        if chosen is not None:
            try:
                self._locations[module] = (chosen.f_code.co_filename, chosen.f_lineno)
            except TypeError:
                pass

    def _is_library(self, filename: str) -> bool:
        if filename.startswith(self.script_dir):
            return False
        if filename.startswith("<") or filename.startswith(_BENCHIT_DIR):
            return True
        return filename.startswith(_LIBRARY_DIRS)


def _find_inside(name: str, value: Any, model) -> str | None:
    """One level deep: obj.attr, seq[i], mapping[key]."""
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if item is model:
                return f"{name}[{i}]"
    elif isinstance(value, dict):
        for key, item in value.items():
            if item is model:
                return f"{name}[{key!r}]"
    elif not isinstance(value, type) and hasattr(value, "__dict__") and not callable(value):
        for attr, item in vars(value).items():
            if item is model and not attr.startswith("_"):
                return f"{name}.{attr}"
    elif hasattr(value, "__dict__") and hasattr(value, "_modules") and not isinstance(value, type):
        for attr, item in value._modules.items():
            if item is model:
                return f"{name}.{attr}"
    return None


def _normalize_call(model, framework: str, args: tuple, kwargs: dict) -> tuple[tuple, dict, list[str]]:
    """Bind a call to the model's forward signature: `m(x)` and `m(x=x)` are the same call."""
    import inspect

    forward = getattr(model, "forward", None) if framework == "pytorch" else getattr(model, "call", None)
    try:
        bound = inspect.signature(forward).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs, [f"arg{i}" for i in range(len(args))]
    positional, keywords, names = [], {}, []
    for name, param in inspect.signature(forward).parameters.items():
        if name not in bound.arguments:
            continue
        value = bound.arguments[name]
        if param.kind == param.VAR_POSITIONAL:
            names.extend(f"{name}{i}" for i in range(len(value)))
            positional.extend(value)
        elif param.kind == param.VAR_KEYWORD:
            keywords.update(value)
        elif param.kind == param.KEYWORD_ONLY or keywords:
            keywords[name] = value
        else:
            names.append(name)
            positional.append(value)
    return tuple(positional), keywords, names


def _detached(value: Any) -> Any:
    """A copy of tensors (detached, cloned) so later in-place changes by the script cannot alter it."""
    if hasattr(value, "detach") and hasattr(value, "clone"):
        return value.detach().clone()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_detached(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    if isinstance(value, dict):
        try:
            return type(value)((k, _detached(v)) for k, v in value.items())
        except TypeError:
            return {k: _detached(v) for k, v in value.items()}
    if hasattr(value, "to_tuple") and hasattr(value, "keys"):  # transformers ModelOutput
        return {k: _detached(value[k]) for k in value.keys()}
    return value
