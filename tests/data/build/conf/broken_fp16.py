"""Test helper stage for a --config-dir: benchit's real float16 stage, run while onnxconverter-common's converter
writes a model that ONNX Runtime refuses (a float32 Cast of one float16 weight: a node then mixes float and
float16, the kind of type mismatch that converter once wrote for attention models). The stage's failure
(converter: onnxconverter_common) and its fallback to ONNX Runtime's converter (converter: auto) then run for
real, whatever the installed onnxconverter-common does."""

import contextlib

from benchit.build.stages import ConvertFp16


def break_one_weight(model):
    """Make node inputs disagree: one float16 weight read through a Cast to float32. onnx.checker accepts the
    model (it does no type inference); ONNX Runtime refuses it with a 'Type Error'."""
    from onnx import TensorProto, helper

    graph = model.graph
    weights = {init.name for init in graph.initializer if init.data_type == TensorProto.FLOAT16}
    for node in graph.node:
        if node.op_type in ("MatMul", "Gemm", "Add"):
            for index, name in enumerate(node.input):
                if name in weights:
                    graph.node.insert(0, helper.make_node("Cast", [name], [f"{name}_as_float"], to=TensorProto.FLOAT,
                                                          name="broken_on_purpose"))
                    node.input[index] = f"{name}_as_float"
                    return model
    raise RuntimeError("broken_fp16: the float16 model has no weight to break")


@contextlib.contextmanager
def broken_onnxconverter_common():
    from onnxconverter_common import float16

    real = float16.convert_float_to_float16

    def convert(model, *args, **kwargs):
        return break_one_weight(real(model, *args, **kwargs))

    float16.convert_float_to_float16 = convert
    try:
        yield
    finally:
        float16.convert_float_to_float16 = real


class BrokenConverterFp16(ConvertFp16):
    """ConvertFp16 (its parameters, its checks, its fallback) with onnxconverter-common broken while it runs."""

    def run(self, ctx):
        with broken_onnxconverter_common():
            super().run(ctx)
