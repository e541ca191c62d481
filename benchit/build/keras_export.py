"""Export a Keras 3 model to ONNX (the `export_keras` stage's work).

Measured on Keras 3.15 / TensorFlow 2.21 / tf2onnx 1.17 (docs/builds.md, "Keras export"):
`tf2onnx` on a `tf.function` with the script's exact input signature (its variables frozen) exports
Sequential, Functional and subclassed models, models with several positional inputs and models
with integer inputs. `model.export(format="onnx")` exports the first three, but fails on a
subclassed model with two inputs ("missing a required argument") and declares float inputs for an
Embedding model that the script called with int32 ids. Both agree with Keras to ~1e-7. So tf2onnx
is the primary path and `model.export` the recorded fallback; with a non-TensorFlow Keras backend
(KERAS_BACKEND=torch) only `model.export` applies. A tf2onnx file that declares inputs the script never
gave (it turned a constant into an input: EfficientNet's normalization) counts as a tf2onnx failure.
Keyword arguments that are not tensors (`training=False`) are passed to the call as they are.
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
        _check_inputs(target, args, kwargs)
        import onnx

        rewrite_erfc(target)
        onnx.checker.check_model(str(target))  # tf2onnx writes ops it cannot convert into the file
        return "tf2onnx", None
    except Exception as error:
        if exporter == "tf2onnx":
            raise
        import traceback

        from benchit.errors import root_cause

        reason = root_cause(error)
        print(f"benchit: tf2onnx failed ({reason}); falling back to keras model.export")
        traceback.print_exc()
        _via_keras_export(model, target, opset)
        rewrite_erfc(target)
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


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def split_kwargs(kwargs: dict) -> tuple[dict, dict]:
    """(tensor keyword arguments: graph inputs, the others: constants of the call such as training=False)."""
    tensors = {k: v for k, v in kwargs.items() if _is_tensor(v)}
    return tensors, {k: v for k, v in kwargs.items() if k not in tensors}


def _check_inputs(target: Path, args: tuple, kwargs: dict) -> None:
    import onnx

    graph = onnx.load(str(target), load_external_data=False).graph
    given = len(args) + len(split_kwargs(kwargs)[0])
    extra = [i.name for i in graph.input][given:]
    if extra:
        raise ValueError(f"tf2onnx's file expects input '{extra[0]}' that the script never passed (a constant "
                         "turned into an input)")


def _via_tf2onnx(model: Any, args: tuple, kwargs: dict, target: Path, opset: int) -> None:
    import tensorflow as tf
    import tf2onnx

    tensor_kwargs, constants = split_kwargs(kwargs)
    constants.setdefault("training", False)
    names = input_names(args, tensor_kwargs)
    values = list(args) + list(tensor_kwargs.values())
    if not values or any(np.asarray(v).dtype == object for v in values):
        raise TypeError("tf2onnx needs tensor inputs")
    signature = [_spec(v, n) for v, n in zip(values, names)]
    n_args, keys = len(args), list(tensor_kwargs)

    def call(*tensors):
        return model(*tensors[:n_args], **dict(zip(keys, tensors[n_args:])), **constants)

    # Freeze every variable the function captures into a constant first: from_function leaves some captured
    # values as graph inputs (Keras' Normalization mean in EfficientNet), which the script never passes.
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(tf.function(call).get_concrete_function(*signature))
    tf2onnx.convert.from_graph_def(frozen.graph.as_graph_def(), input_names=[t.name for t in frozen.inputs],
                                   output_names=[t.name for t in frozen.outputs], opset=opset,
                                   output_path=str(target))
    _strip_tensor_suffixes(target)


def _strip_tensor_suffixes(target: Path) -> None:
    """TensorFlow names tensors `input_0:0`; the file's inputs are named as benchit named them (`input_0`)."""
    import onnx

    model = onnx.load(str(target))
    names = {i.name: i.name[:-2] for i in model.graph.input if i.name.endswith(":0")}
    taken = {v.name for v in [*model.graph.input, *model.graph.output]} | {n for node in model.graph.node
                                                                          for n in node.output}
    names = {old: new for old, new in names.items() if new not in taken}
    if not names:
        return
    for value in model.graph.input:
        value.name = names.get(value.name, value.name)
    for node in model.graph.node:
        node.input[:] = [names.get(name, name) for name in node.input]
    onnx.save(model, str(target))


def _via_keras_export(model: Any, target: Path, opset: int) -> None:
    model.export(str(target), format="onnx", verbose=False, opset_version=opset)


def rewrite_erfc(target: Path) -> None:
    """Keras' exact GELU computes erfc, which tf2onnx copies into the file as an op ONNX does not have:
    erfc(x) is 1 - erf(x), written with ONNX's own Erf and Sub."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(target))
    nodes = list(model.graph.node)
    if not any(n.op_type == "Erfc" and n.domain in ("", "ai.onnx") for n in nodes):
        return
    del model.graph.node[:]
    one = f"benchit_one_{len(nodes)}"
    model.graph.initializer.append(numpy_helper.from_array(np.ones((), np.float32), one))
    for node in nodes:
        if node.op_type == "Erfc" and node.domain in ("", "ai.onnx"):
            erf = f"{node.output[0]}_erf"
            model.graph.node.append(helper.make_node("Erf", [node.input[0]], [erf], name=f"{node.name}_erf"))
            model.graph.node.append(helper.make_node("Sub", [one, erf], list(node.output), name=node.name))
        else:
            model.graph.node.append(node)
    onnx.save(model, str(target))
