"""Hooks that record model calls while a user's script runs.

torch.nn.Module.__call__ is wrapped (global forward hooks cannot see keyword arguments), and so is
Module.__init__ (to know where each model was created); for Keras, Layer.__call__ and
Layer.__init__ (see keras_support). Each is installed the moment the script imports its
framework, through an import hook, and removed when the script ends, so calls that benchit itself
makes afterwards (export, validation, benchmarking) are never counted.

Only model calls are hooked, never every Python call: a call the recorder has seen before costs a
signature (shapes and dtypes of the arguments), a dictionary look-up and two clock reads.
"""

from __future__ import annotations

import importlib.abc
import os
import re
import site
import sys
import sysconfig
import threading
import types
import weakref
from pathlib import Path
from time import perf_counter
from typing import Any, Callable

from benchit.analysis.models import Invocation, ModelInfo, model_hash

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
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


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


class _Local(threading.local):
    def __init__(self):
        self.stack: list = []  # the models being called on this thread, outermost first


class ModelRecorder:
    """Records models called by the script (depth 0) and their sub-modules down to `max_depth`."""

    def __init__(self, script: str | os.PathLike, max_depth: int = 0):
        self.script = str(Path(script).resolve())
        self.script_dir = str(Path(script).resolve().parent) + os.sep
        self.script_stem = Path(script).stem
        self.max_depth = max_depth
        self.models: list[ModelInfo] = []
        self._by_id: dict[int, ModelInfo] = {}
        self._fast: dict[tuple, Invocation] = {}  # (id(model), arg signature) -> invocation
        self._locations: "weakref.WeakKeyDictionary[Any, tuple[str, int]]" = weakref.WeakKeyDictionary()
        self._library: dict[str, bool] = {}
        self._local = _Local()
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
        """Remove every hook; the models, their invocations and captured inputs stay in `models`."""
        self._active = False
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self._finder = None
        while self._undo:
            self._undo.pop()()
        self._fast.clear()
        self._by_id.clear()
        self._locations = weakref.WeakKeyDictionary()

    def release(self) -> None:
        """Drop every model and captured tensor (the worker calls this when it is done with them)."""
        for info in self.models:
            info.release()
        self.models = []

    def _install_torch(self, torch_module) -> None:
        module_cls = torch_module.nn.Module
        original_call, original_init = module_cls.__dict__["__call__"], module_cls.__dict__["__init__"]
        recorder, local, fast, max_depth = self, self._local, self._fast, self.max_depth
        tensor, call_counted = torch_module.Tensor, self._call_counted
        # torch.jit.trace in the script runs the model to record a graph: not a call of the script's, and
        # anything the recorder did meanwhile (reading shapes, copying outputs) would end up in the graph.
        jit_tracing = getattr(torch_module._C, "_get_tracing_state", lambda: None)

        def __call__(module, *args, **kwargs):
            # The hot path, kept short: calls below max_depth cost one list length; a signature seen
            # before costs its key (shapes and dtypes) and a dictionary look-up.
            stack = local.stack
            if len(stack) > max_depth or not recorder._active or jit_tracing():
                return original_call(module, *args, **kwargs)
            try:
                if not kwargs and len(args) == 1 and type(args[0]) is tensor:  # the most common call: model(x)
                    key = (id(module), args[0].shape, args[0].dtype)
                else:
                    key = (id(module), None, *[(a.shape, a.dtype) if type(a) is tensor else signature_of(a)
                                               for a in args], signature_of(kwargs) if kwargs else None)
                invocation = fast.get(key)
            except TypeError:  # an unhashable value inside the signature
                key, invocation = None, None
            if invocation is not None:
                return call_counted(stack, module, invocation, original_call, args, kwargs)
            return recorder._first_call(key, stack, module, "pytorch", original_call, args, kwargs)

        def __init__(module, *args, **kwargs):
            original_init(module, *args, **kwargs)
            if recorder._active:
                recorder._remember_location(module, sys._getframe(1))

        module_cls.__call__ = __call__
        module_cls.__init__ = __init__

        def undo():
            module_cls.__call__ = original_call
            module_cls.__init__ = original_init

        self._undo.append(undo)

    def _install_keras(self, keras_module) -> None:
        from benchit.analysis import keras_support

        self._undo.append(keras_support.install(self, keras_module))

    # ------------------------------------------------------------------ the hot path
    def _on_call(self, model, framework: str, original_call, args, kwargs):
        """Count one call of `model`; record it the first time its input signature is seen."""
        stack = self._local.stack
        depth = len(stack)
        if not self._active or depth > self.max_depth:  # nothing inside a call deeper than max_depth is recorded
            return original_call(model, *args, **kwargs)
        if depth == 0 and framework != "pytorch" and not self._is_target(model, framework):
            return self._call_untracked(stack, model, original_call, args, kwargs)
        try:
            key = (id(model), signature_of(args), signature_of(kwargs))
            invocation = self._fast.get(key)
        except TypeError:  # an unhashable value inside the signature
            key, invocation = None, None
        if invocation is not None:
            return self._call_counted(stack, model, invocation, original_call, args, kwargs)
        return self._first_call(key, stack, model, framework, original_call, args, kwargs)

    def _first_call(self, key, stack, model, framework, original_call, args, kwargs):
        """A model or signature not seen before: describe it, then call and count."""
        info, invocation = self._invocation(model, framework, len(stack), stack, args, kwargs)
        if invocation is None:
            return self._call_untracked(stack, model, original_call, args, kwargs)
        if key is not None:
            self._fast[key] = invocation
        try:
            return self._call_counted(stack, model, invocation, original_call, args, kwargs)
        finally:
            if info is not None and not info.hash:
                self._finish(info)  # hash and parameters once the model is built (Keras, lazy modules)

    def _on_batches(self, model, framework: str, run: Callable[[], Any], batch, batches: int):
        """A call that feeds the model `batches` batches at once (Keras predict): one count per batch."""
        stack = self._local.stack
        info, invocation = self._invocation(model, framework, 0, stack, (batch,), {})
        stack.append(model)  # what predict calls inside belongs to this call
        start = perf_counter()
        try:
            outputs = run()
        finally:
            invocation.seconds += perf_counter() - start
            invocation.calls += batches
            stack.pop()
            if info is not None and not info.hash:
                self._finish(info)
        if invocation.outputs is None:
            invocation.outputs = _detached(_head(outputs, batch))
        return outputs

    @staticmethod
    def _call_untracked(stack, model, original_call, args, kwargs):
        stack.append(model)
        try:
            return original_call(model, *args, **kwargs)
        finally:
            stack.pop()

    @staticmethod
    def _call_counted(stack, model, invocation, original_call, args, kwargs):
        stack.append(model)
        start = perf_counter()
        try:
            outputs = original_call(model, *args, **kwargs)
        finally:
            invocation.seconds += perf_counter() - start
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

    # ------------------------------------------------------------------ first sight of a model or signature
    def _invocation(self, model, framework, depth, stack, args, kwargs) -> tuple[ModelInfo | None, Invocation]:
        info = self._by_id.get(id(model))
        new = info is None or info.model is not model
        if new:
            parent = top = None
            if stack:
                top = self._by_id.get(id(stack[0]))
                if top is None:  # inside something the recorder does not track (a Keras layer called directly)
                    return None, None
                parent = self._by_id.get(id(stack[-1])) or top
            info = self._new_info(model, framework, depth, parent, top)
            self._by_id[id(model)] = info
            self.models.append(info)
        args, kwargs, arg_names = _normalize_call(model, framework, args, kwargs)
        full_signature = (signature_of(args), signature_of(kwargs))
        for existing in info.invocations:  # same tensors passed positionally vs by keyword
            if existing.signature == full_signature:
                return (info if new else None), existing
        invocation = Invocation(
            signature=full_signature,
            index=len(info.invocations) + 1,
            args=_detached(args),
            kwargs=_detached(kwargs),
            arg_names=arg_names,
        )
        info.invocations.append(invocation)
        return (info if new else None), invocation

    def _new_info(self, model, framework: str, depth: int, parent: ModelInfo | None,
                  top: ModelInfo | None) -> ModelInfo:
        cls = type(model)
        class_path = str(cls)
        if cls.__module__ == "__main__":  # the script runs as __main__; users know it by its file name
            class_path = class_path.replace("'__main__.", f"'{self.script_stem}.")
        location, note = self._locations.get(model), ""
        if location is None and depth == 0:  # made outside the script's view (deepcopy, torch.load...)
            location, note = self._user_site(), "first call; created outside the script"
        owner = _direct_forward_owner(model, sys._getframe(1)) if depth == 0 and framework == "pytorch" else None
        if owner is not None:
            outer = type(owner).__name__
            why = (f"called inside {outer}.forward, which the script called directly: call the model itself, "
                   f"not .forward(), to benchmark {outer}")
            note = f"{note}; {why}" if note else why
        return ModelInfo(
            model=model,
            framework=framework,
            name=self._name_of(model, framework, top) or _snake(cls.__name__),
            class_name=cls.__name__,
            class_path=class_path,
            location=location,
            location_note=note,
            params=0,
            hash="",
            depth=depth,
            parent=parent,
            is_layer=framework == "keras" and not self._is_target(model, framework),
        )

    def _finish(self, info: ModelInfo) -> None:
        """Hash, parameter count and size: computed after the first call, when the model is built."""
        model = info.model
        try:
            if info.framework == "keras":
                from benchit.analysis import keras_support

                description = keras_support.summary(model)
                info.params, info.param_bytes = keras_support.count_params(model)
            else:
                description = repr(model)
                seen, params, size = set(), 0, 0
                for p in model.parameters():
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                    try:
                        params += p.numel()
                        size += p.numel() * p.element_size()
                    except (ValueError, RuntimeError):  # an uninitialized lazy parameter
                        pass
                info.params, info.param_bytes = int(params), int(size)
        except Exception as error:  # a model whose repr or summary fails is still reported
            description = f"{info.class_path} ({type(error).__name__})"
        # A repr that shows an object's address (`<function f at 0x7f...>`) would change every run.
        info.hash = model_hash(_ADDRESS.sub("", description))

    # ------------------------------------------------------------------ names and places
    def _user_frame(self, frame):
        while frame is not None and self._is_library(frame.f_code.co_filename):
            frame = frame.f_back
        return frame

    def _user_site(self) -> tuple[str, int] | None:
        frame = self._user_frame(sys._getframe(1))
        return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None

    def _name_of(self, model, framework: str, top: ModelInfo | None) -> str | None:
        """The name the script uses for `model`: a variable, an attribute, a list or dict item."""
        if top is not None:  # a sub-module: its attribute path inside the top-level model
            return _sub_name(top.model, model, framework)
        frame = self._user_frame(sys._getframe(1))
        if frame is None:
            return None
        names = self._names_in(frame, model)
        if names and names[0].startswith("self."):  # inside a method: name the object as its caller does
            owner = frame.f_locals.get("self")
            outer = self._user_frame(frame.f_back)
            while outer is not None and owner is not None:
                found = [n for n in self._names_in(outer, owner) if not n.startswith("self")]
                if found:
                    names.insert(0, found[0] + names[0][4:])
                    break
                outer = self._user_frame(outer.f_back)
        taken = {info.name for info in self.models if info.depth == 0}
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
                found = _find_inside(name, value, obj)
                if found:
                    (attributes if "." in found else items).append(found)
        return items + direct + attributes

    def _remember_location(self, module, frame) -> None:
        """Where the script created this module: skip library frames and the module's own __init__ chain."""
        while frame is not None:
            code = frame.f_code
            if self._is_library(code.co_filename):
                frame = frame.f_back
            elif code.co_name == "__init__" and frame.f_locals.get("self") is module:
                frame = frame.f_back
            else:
                break
        if frame is not None:
            try:
                self._locations[module] = (frame.f_code.co_filename, frame.f_lineno)
            except TypeError:
                pass

    def _is_library(self, filename: str) -> bool:
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


def _direct_forward_owner(model, frame, limit: int = 60):
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


def _sub_name(top, model, framework: str) -> str | None:
    if framework == "keras":
        from benchit.analysis import keras_support

        return keras_support.sub_name(top, model)
    for name, sub in getattr(top, "named_modules", lambda: [])():
        if sub is model:
            return name
    return None


def _find_inside(name: str, value: Any, model) -> str | None:
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


def _normalize_call(model, framework: str, args: tuple, kwargs: dict) -> tuple[tuple, dict, list[str]]:
    """Bind a call to the model's forward signature: `m(x)` and `m(x=x)` are the same call.

    Arguments stay positional up to the first parameter the call left out; later ones become
    keywords, so the builder never shifts an argument into the wrong slot.
    """
    import inspect

    forward = getattr(model, "forward", None) if framework == "pytorch" else getattr(model, "call", None)
    try:
        parameters = inspect.signature(forward).parameters
        bound = inspect.signature(forward).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs, [f"arg{i}" for i in range(len(args))]
    positional, keywords, names = [], {}, []
    gap = False
    for name, param in parameters.items():
        if name in bound.arguments and bound.arguments[name] is None and param.default is None:
            del bound.arguments[name]  # `mask=None` where None is the default: the same call as leaving it out
        if name not in bound.arguments:
            if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                gap = True
            continue
        value = bound.arguments[name]
        if param.kind == param.VAR_POSITIONAL:
            if gap or keywords:  # cannot happen with a valid call; keep the call as it was
                return args, kwargs, [f"arg{i}" for i in range(len(args))]
            names.extend(f"{name}{i}" for i in range(len(value)))
            positional.extend(value)
        elif param.kind == param.VAR_KEYWORD:
            keywords.update(value)
        elif param.kind == param.KEYWORD_ONLY or gap or keywords:
            keywords[name] = value
        else:
            names.append(name)
            positional.append(value)
    return tuple(positional), keywords, names


def _head(outputs: Any, batch: Any) -> Any:
    """The rows of `outputs` that belong to `batch` (predict returns every batch's outputs at once)."""
    first = batch if getattr(batch, "shape", None) is not None else next(iter(
        batch.values() if isinstance(batch, dict) else batch))
    rows = int(first.shape[0])
    if getattr(outputs, "shape", None) is not None:
        return outputs[:rows]
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_head(o, batch) for o in outputs)
    if isinstance(outputs, dict):
        return {k: _head(v, batch) for k, v in outputs.items()}
    return outputs


def _detached(value: Any) -> Any:
    """A copy of tensors (detached, cloned) so later in-place changes by the script cannot alter it."""
    if hasattr(value, "detach") and hasattr(value, "clone"):
        is_inference = getattr(value, "is_inference", None)
        if is_inference is not None and is_inference():  # made under inference_mode: copy it to a normal tensor
            with sys.modules["torch"].inference_mode(False):
                return value.detach().clone()
        return value.detach().clone()
    if type(value).__module__ == "numpy" and hasattr(value, "copy"):
        return value.copy()
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
