"""Hooks that record model calls while a user's script runs.

torch.nn.Module.__call__ is wrapped (global forward hooks cannot see keyword arguments), and so is
Module.__init__ (to know where each model was created); for Keras, Layer.__call__ and Layer.__init__ (see
keras_support). Each is installed the moment the script imports its framework, through an import hook, and
removed when the script ends, so calls that benchit itself makes afterwards (export, validation,
benchmarking) are never counted. Calls made while a module is being constructed (weight_norm computing its
weight) and torch's parametrization machinery are not model calls either.

Only model calls are hooked, never every Python call: a call the recorder has seen before costs a
signature (shapes and dtypes of the arguments), a dictionary look-up and two clock reads.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from time import perf_counter
from typing import Any, Callable

from benchit.analysis.import_hook import PostImportHook
from benchit.analysis.models import Invocation, ModelInfo, identify
from benchit.analysis.naming import ScriptView, direct_forward_owner, snake_case
from benchit.analysis.values import detached, head_rows, normalize_call, signature_of

# Modules torch calls for its own bookkeeping, never the script's models.
_NOT_MODELS = ("torch.nn.utils.parametrize",)


class _Local(threading.local):
    def __init__(self):
        self.stack: list = []  # the models being called on this thread, outermost first
        self.constructing = 0  # inside how many module constructors: their calls are not the script's


class ModelRecorder:
    """Records models called by the script (depth 0) and their sub-modules down to `max_depth`."""

    def __init__(self, script: str | os.PathLike, max_depth: int = 0):
        self.script_stem = Path(script).stem
        self.max_depth = max_depth
        self.models: list[ModelInfo] = []
        self.view = ScriptView(script)
        self.active = False
        self._by_id: dict[int, ModelInfo] = {}
        self._known_signatures: dict[tuple, Invocation] = {}  # (id(model), arg signature) -> invocation
        self._local = _Local()
        self._undo: list[Callable[[], None]] = []
        self._hook: PostImportHook | None = None

    # ------------------------------------------------------------------ install / remove
    def start(self) -> None:
        self.active = True
        watchers = {"torch": self._install_torch, "keras": self._install_keras}
        for name, install in list(watchers.items()):
            if name in sys.modules:
                install(sys.modules[name])
                del watchers[name]
        if watchers:
            self._hook = PostImportHook(watchers)
            sys.meta_path.insert(0, self._hook)

    def stop(self) -> None:
        """Remove every hook; the models, their invocations and captured inputs stay in `models`."""
        self.active = False
        if self._hook in sys.meta_path:
            sys.meta_path.remove(self._hook)
        self._hook = None
        while self._undo:
            self._undo.pop()()
        self._known_signatures.clear()
        self._by_id.clear()
        self.view.locations.clear()

    def release(self) -> None:
        """Drop every model and captured tensor (a caller that is done with them)."""
        for info in self.models:
            info.release()
        self.models = []

    def call_stack(self) -> list:
        """The models being called on this thread, outermost first."""
        return self._local.stack

    def constructing(self):
        """A context: calls made meanwhile happen inside a module's constructor."""
        return _Constructing(self._local)

    def _install_torch(self, torch_module) -> None:
        module_cls = torch_module.nn.Module
        original_call, original_init = module_cls.__dict__["__call__"], module_cls.__dict__["__init__"]
        recorder, local, known, max_depth = self, self._local, self._known_signatures, self.max_depth
        tensor, call_counted = torch_module.Tensor, self._call_counted
        # torch.jit.trace in the script runs the model to record a graph: not a call of the script's, and
        # anything the recorder did meanwhile (reading shapes, copying outputs) would end up in the graph.
        jit_tracing = getattr(torch_module._C, "_get_tracing_state", lambda: None)

        def __call__(module, *args, **kwargs):
            # The hot path, kept short: calls below max_depth cost one list length; a signature seen
            # before costs its key (shapes and dtypes) and a dictionary look-up.
            stack = local.stack
            if len(stack) > max_depth or not recorder.active or local.constructing or jit_tracing():
                return original_call(module, *args, **kwargs)
            try:
                if not kwargs and len(args) == 1 and type(args[0]) is tensor:  # the most common call: model(x)
                    key = (id(module), args[0].shape, args[0].dtype)
                else:
                    key = (id(module), None, *[(a.shape, a.dtype) if type(a) is tensor else signature_of(a)
                                               for a in args], signature_of(kwargs) if kwargs else None)
                invocation = known.get(key)
            except TypeError:  # an unhashable value inside the signature
                key, invocation = None, None
            if invocation is not None:
                return call_counted(stack, module, invocation, original_call, args, kwargs)
            return recorder._first_call(key, stack, module, "pytorch", original_call, args, kwargs)

        def __init__(module, *args, **kwargs):
            local.constructing += 1
            try:
                original_init(module, *args, **kwargs)
            finally:
                local.constructing -= 1
            if recorder.active:
                recorder.view.remember_location(module, sys._getframe(1))

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
    def on_call(self, model, framework: str, original_call, args, kwargs):
        """Count one call of `model`; record it the first time its input signature is seen."""
        stack = self._local.stack
        depth = len(stack)
        if not self.active or depth > self.max_depth or self._local.constructing:
            return original_call(model, *args, **kwargs)
        if depth == 0 and framework != "pytorch" and not self._is_target(model, framework):
            return self._call_untracked(stack, model, original_call, args, kwargs)
        try:
            key = (id(model), signature_of(args), signature_of(kwargs))
            invocation = self._known_signatures.get(key)
        except TypeError:  # an unhashable value inside the signature
            key, invocation = None, None
        if invocation is not None:
            return self._call_counted(stack, model, invocation, original_call, args, kwargs)
        return self._first_call(key, stack, model, framework, original_call, args, kwargs)

    def _first_call(self, key, stack, model, framework, original_call, args, kwargs):
        """A model or signature not seen before: describe it, then call and count."""
        if type(model).__module__.startswith(_NOT_MODELS):
            return self._call_untracked(stack, model, original_call, args, kwargs)
        info, invocation = self._invocation(model, framework, len(stack), stack, args, kwargs)
        if invocation is None:
            return self._call_untracked(stack, model, original_call, args, kwargs)
        if key is not None:
            self._known_signatures[key] = invocation
        try:
            return self._call_counted(stack, model, invocation, original_call, args, kwargs)
        finally:
            if info is not None and not info.hash:
                identify(info)  # hash and parameters once the model is built (Keras, lazy modules)

    def on_batches(self, model, framework: str, run: Callable[[], Any], batch, batches: int):
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
                identify(info)
        if invocation.outputs is None:
            invocation.outputs = detached(head_rows(outputs, batch))
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
            invocation.outputs = detached(outputs)
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
        args, kwargs, arg_names = normalize_call(model, framework, args, kwargs)
        full_signature = (signature_of(args), signature_of(kwargs))
        for existing in info.invocations:  # same tensors passed positionally vs by keyword
            if existing.signature == full_signature:
                return (info if new else None), existing
        invocation = Invocation(signature=full_signature, index=len(info.invocations) + 1, args=detached(args),
                                kwargs=detached(kwargs), arg_names=arg_names)
        info.invocations.append(invocation)
        return (info if new else None), invocation

    def _new_info(self, model, framework: str, depth: int, parent: ModelInfo | None,
                  top: ModelInfo | None) -> ModelInfo:
        cls = type(model)
        class_path = str(cls)
        if cls.__module__ == "__main__":  # the script runs as __main__; users know it by its file name
            class_path = class_path.replace("'__main__.", f"'{self.script_stem}.")
        location, note = self.view.locations.get(model), ""
        if location is None and depth == 0:  # made outside the script's view (deepcopy, torch.load...)
            location, note = self.view.user_site(), "first call; created outside the script"
        owner = direct_forward_owner(model, sys._getframe(1)) if depth == 0 and framework == "pytorch" else None
        if owner is not None:
            outer = type(owner).__name__
            why = (f"called inside {outer}.forward, which the script called directly: call the model itself, "
                   f"not .forward(), to benchmark {outer}")
            note = f"{note}; {why}" if note else why
        taken = {m.name for m in self.models if m.depth == 0}
        name = self.view.name_of(model, framework, top.model if top else None, taken)
        return ModelInfo(model=model, framework=framework, name=name or snake_case(cls.__name__),
                         class_name=cls.__name__, class_path=class_path, location=location, location_note=note,
                         params=0, hash="", depth=depth, parent=parent,
                         is_layer=framework == "keras" and not self._is_target(model, framework))


class _Constructing:
    def __init__(self, local: _Local):
        self.local = local

    def __enter__(self):
        self.local.constructing += 1

    def __exit__(self, *exc):
        self.local.constructing -= 1
