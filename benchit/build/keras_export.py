"""Export a Keras 3 model to ONNX (the `export_keras` stage's work).

Measured on Keras 3.15 / TensorFlow 2.21 / tf2onnx 1.17 (docs/builds.md, "Keras export"):
`tf2onnx.convert.from_function` on a `tf.function` with the script's exact input signature exports
Sequential, Functional and subclassed models, models with several positional inputs and models
with integer inputs. `model.export(format="onnx")` exports the first three, but fails on a
subclassed model with two inputs ("missing a required argument") and declares float inputs for an
Embedding model that the script called with int32 ids. Both agree with Keras to ~1e-7. So tf2onnx
is the primary path and `model.export` the recorded fallback; with a non-TensorFlow Keras backend
(KERAS_BACKEND=torch) only `model.export` applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def export_keras(model: Any, args: tuple, kwargs: dict, target: Path, opset: int,
                 exporter: str = "auto") -> tuple[str, str | None]:
    """Write `model` called on `args`/`kwargs` to `target`. Returns (exporter used, fallback reason)."""
    import keras

    backend = keras.backend.backend()
    opset = min(opset, max_tf2onnx_opset())
    if exporter == "keras" or backend != "tensorflow":
        _via_keras_export(model, target, opset)
        return "keras.export", None if exporter == "keras" else f"Keras backend is {backend}"
    try:
        _via_tf2onnx(model, args, kwargs, target, opset)
        return "tf2onnx", None
    except Exception as error:
        if exporter == "tf2onnx":
            raise
        from benchit.build.stages import one_line

        reason = one_line(error)
        print(f"benchit: tf2onnx failed ({reason}); falling back to keras model.export")
        _via_keras_export(model, target, opset)
        return "keras.export", reason


def max_tf2onnx_opset() -> int:
    """The newest opset tf2onnx can write (18 for tf2onnx 1.17); a higher request is lowered to it."""
    try:
        from tf2onnx import constants

        return max(constants.OPSET_TO_IR_VERSION)
    except Exception:
        return 17


def input_names(args: tuple, kwargs: dict) -> list[str]:
    """The ONNX input names benchit gives the script's tensors: input_0, input_1, ... then the keywords."""
    return [f"input_{i}" for i in range(len(args))] + [str(k) for k in kwargs]


def _spec(value: Any, name: str):
    import tensorflow as tf

    array = np.asarray(value)
    return tf.TensorSpec(array.shape, tf.as_dtype(array.dtype), name=name)


def _via_tf2onnx(model: Any, args: tuple, kwargs: dict, target: Path, opset: int) -> None:
    import tensorflow as tf
    import tf2onnx

    names = input_names(args, kwargs)
    values = list(args) + list(kwargs.values())
    if not values or any(np.asarray(v).dtype == object for v in values):
        raise TypeError("tf2onnx needs tensor inputs")
    signature = [_spec(v, n) for v, n in zip(values, names)]
    n_args, keys = len(args), list(kwargs)

    def call(*tensors):
        return model(*tensors[:n_args], **dict(zip(keys, tensors[n_args:])), training=False)

    tf2onnx.convert.from_function(tf.function(call), input_signature=signature, opset=opset,
                                  output_path=str(target))


def _via_keras_export(model: Any, target: Path, opset: int) -> None:
    model.export(str(target), format="onnx", verbose=False, opset_version=opset)
