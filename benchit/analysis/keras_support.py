"""Keras 3 discovery (keras / tf.keras; Sequential, Functional and subclassed models).

Installed by the recorder when the script imports keras (TensorFlow is never imported by benchit
itself). Layer.__call__ is wrapped so that a Model the script calls is a target and the layers it
calls are its sub-modules; Layer.__init__ is wrapped to know where each model was created.
`Model.predict` runs a traced graph, so it is counted apart: one call per batch, with the first
batch as the recorded input. Symbolic calls are not model calls: building a Functional model
(`Dense(4)(keras.Input(...))`) and tracing inside tf.function pass KerasTensors or graph tensors,
and are skipped.
"""

from __future__ import annotations

import sys
from typing import Any, Callable


def _layer_class(keras_module):
    try:
        return keras_module.layers.Layer
    except AttributeError:  # keras partly imported (circular import in progress)
        from keras.src.layers.layer import Layer

        return Layer


def install(recorder, keras_module) -> Callable[[], None]:
    """Wrap keras Layer.__call__ and Layer.__init__; returns the function that undoes it."""
    layer_cls = _layer_class(keras_module)
    keras_tensor = getattr(keras_module, "KerasTensor", None)
    original_call = layer_cls.__dict__["__call__"]
    original_init = layer_cls.__dict__["__init__"]

    def __call__(layer, *args, **kwargs):
        if not recorder.active or _symbolic(args, kwargs, keras_tensor):
            return original_call(layer, *args, **kwargs)
        return recorder.on_call(layer, "keras", original_call, args, kwargs)

    def __init__(layer, *args, **kwargs):
        with recorder.constructing():
            original_init(layer, *args, **kwargs)
        if recorder.active:
            recorder.view.remember_location(layer, sys._getframe(1))

    model_cls = _model_class(keras_module)
    own_predict = "predict" in model_cls.__dict__  # else inherited from the backend's Trainer
    original_predict = getattr(model_cls, "predict", None)

    def predict(model, x=None, batch_size=None, *args, **kwargs):
        # predict() runs a traced graph, which the call hook cannot see: count its batches here
        stack = recorder.call_stack()
        batch = _first_batch(x, batch_size or 32)
        if not recorder.active or stack or batch is None:
            return original_predict(model, x, batch_size, *args, **kwargs)
        return recorder.on_batches(model, "keras", lambda: original_predict(model, x, batch_size, *args, **kwargs),
                                    batch, _batches(x, batch_size or 32))

    layer_cls.__call__ = __call__
    layer_cls.__init__ = __init__
    if original_predict is not None:
        model_cls.predict = predict

    def undo():
        layer_cls.__call__ = original_call
        layer_cls.__init__ = original_init
        if own_predict:
            model_cls.predict = original_predict
        elif original_predict is not None:
            del model_cls.predict

    return undo


def _model_class(keras_module):
    try:
        return keras_module.Model
    except AttributeError:
        from keras.src.models.model import Model

        return Model


def _rows(value) -> int | None:
    shape = getattr(value, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) and shape[0] is not None else None


def _first_batch(x, batch_size: int):
    """The first batch predict() feeds the model (arrays, lists or dicts of arrays), else None."""
    if _rows(x) is not None:
        return x[:batch_size]
    if isinstance(x, (list, tuple)) and x and all(_rows(v) is not None for v in x):
        return type(x)(v[:batch_size] for v in x)
    if isinstance(x, dict) and x and all(_rows(v) is not None for v in x.values()):
        return {k: v[:batch_size] for k, v in x.items()}
    return None  # a dataset or generator: not recorded


def _batches(x, batch_size: int) -> int:
    first = x if _rows(x) is not None else next(iter(x.values() if isinstance(x, dict) else x))
    return max(1, -(-_rows(first) // batch_size))


def _symbolic(args: tuple, kwargs: dict, keras_tensor) -> bool:
    """True for a call on symbolic values: KerasTensors, or TensorFlow tracing a graph."""
    tf = sys.modules.get("tensorflow")
    if tf is not None and not tf.executing_eagerly():
        return True
    if keras_tensor is None:
        return False
    for value in (*args, *kwargs.values()):
        if isinstance(value, keras_tensor):
            return True
        if isinstance(value, (list, tuple)):
            if any(isinstance(v, keras_tensor) for v in value):
                return True
        elif isinstance(value, dict):
            if any(isinstance(v, keras_tensor) for v in value.values()):
                return True
    return False


def is_model(obj: Any) -> bool:
    """A Keras Model (Sequential, Functional, subclassed): a target when the script calls it."""
    keras = sys.modules.get("keras")
    if keras is None:
        return False
    try:
        return isinstance(obj, keras.Model)
    except AttributeError:
        from keras.src.models.model import Model

        return isinstance(obj, Model)


def _sublayers(layer) -> list:
    layers = getattr(layer, "_layers", None)
    if layers is None:
        layers = getattr(layer, "layers", None) or []
    return [sub for sub in layers if type(sub).__name__ != "InputLayer"]


def _config(layer) -> str:
    """The layer's configuration without its name (auto-numbered names differ between equal models)."""
    try:
        config = dict(layer.get_config())
    except Exception:  # subclassed layers without get_config
        return ""
    for key in ("name", "layers", "input_layers", "output_layers", "build_input_shape", "trainable"):
        config.pop(key, None)
    return repr(sorted(config.items(), key=lambda item: item[0]))


def summary(model) -> str:
    """A summary of the architecture for the hash: same architecture, same text.

    One line per layer (depth-first): its class, its weights' shapes and dtypes, and its config
    without the auto-numbered name. Computed after the model's first call (when it is built).
    """
    lines = []

    def walk(layer, depth):
        weights = ", ".join(f"{tuple(w.shape)}:{w.dtype}" for w in getattr(layer, "_trainable_variables", [])
                            + getattr(layer, "_non_trainable_variables", []))
        lines.append(f"{'  ' * depth}{type(layer).__name__}[{weights}] {_config(layer) if depth else ''}".rstrip())
        for sub in _sublayers(layer):
            walk(sub, depth + 1)

    walk(model, 0)
    return "\n".join(lines)


def count_params(model) -> tuple[int, int]:
    """(number of parameters, their size in bytes), every weight counted once."""
    seen, count, size = set(), 0, 0
    for weight in getattr(model, "weights", []):
        if id(weight) in seen:
            continue
        seen.add(id(weight))
        n = 1
        for dim in weight.shape:
            n *= int(dim)
        count += n
        size += n * _itemsize(str(weight.dtype))
    return count, size


def _itemsize(dtype: str) -> int:
    dtype = dtype.rsplit(".", 1)[-1].replace("'>", "").replace("<dtype: '", "")
    for bits in ("64", "32", "16", "8"):
        if dtype.endswith(bits):
            return int(bits) // 8
    return 1 if dtype == "bool" else 4


def sub_name(top, layer) -> str | None:
    """The attribute path of `layer` inside `top` (subclassed models), else its Keras name."""
    path = _attribute_path(top, layer, set())
    return path or getattr(layer, "name", None)


def _attribute_path(owner, layer, seen: set) -> str | None:
    if id(owner) in seen:
        return None
    seen.add(id(owner))
    attrs = getattr(owner, "__dict__", {})
    for name, value in attrs.items():
        if value is layer and not name.startswith("_"):
            return name
    for name, value in attrs.items():
        if name.startswith("_") or not hasattr(value, "_layers"):
            continue
        inner = _attribute_path(value, layer, seen)
        if inner:
            return f"{name}.{inner}"
    return None
