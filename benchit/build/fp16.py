"""The fp16 stage: float32 weights and ops to float16, or an honest "fp16 not possible" and the float32 file.

A converter can write a model that is not valid (a CumSum, an If subgraph or a Cast whose types no longer
match). The op type ONNX Runtime names is then kept in float32 (op_block_list) and the conversion retried;
with converter=auto the other converter is tried too. If no valid float16 model comes out, the build goes on
with the float32 file, and the state, the tree and the report say "fp16 not possible: <reason>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, List, Optional

from benchit.build.onnx_files import has_external_data, remove_file_and_data, runs_in_onnxruntime, save_onnx
from benchit.build.stage import BuildContext, Stage
from benchit.errors import one_line

CONVERTERS = ("auto", "onnxconverter_common", "onnxruntime")
MAX_RETRIES = 6  # op types added to the block list, one per invalid model, before giving up
# Op types never kept in float32 by a retry: the converter inserts Casts itself, and blocking them makes
# onnxconverter-common run for minutes (DETR) without producing a valid model.
NEVER_BLOCKED = {"Cast"}
_NODE = re.compile(r"(?:of node|in node|node) \(([^)]*)\)")
_OP = re.compile(r"(?:Optype|op_type|OpType)\s*[(:=]?\s*\(?([A-Za-z][A-Za-z0-9]*)|while running (\w+) node")


@dataclass
class ConvertFp16(Stage):
    """converter: auto (onnxconverter-common, then onnxruntime.transformers.float16) | onnxconverter_common |
    onnxruntime. keep_io_types=False: the model takes and returns float16 (benchit casts float inputs); True:
    float32 inputs and outputs with Casts inside. Integer inputs stay integer. op_block_list: op types that
    stay float32, added to the converter's own list. A source with external data keeps it."""

    keep_io_types: bool = False
    op_block_list: Optional[List[str]] = None
    tolerance: float = 1e-2
    converter: str = "auto"

    name: ClassVar[str] = "fp16_conversion"

    def __post_init__(self) -> None:
        if self.converter not in CONVERTERS:
            raise ValueError(f"converter must be auto, onnxconverter_common or onnxruntime, not {self.converter!r}")
        self.op_block_list = list(self.op_block_list) if self.op_block_list else None

    def run(self, ctx: BuildContext) -> None:
        import onnx

        source = ctx.onnx_file
        target = source.with_name(f"{ctx.build.name}-fp16.onnx")
        external = has_external_data(source)
        converters = ["onnxruntime"] if self.converter == "onnxruntime" else \
            ["onnxconverter_common"] + (["onnxruntime"] if self.converter == "auto" else [])
        failures = []
        for converter in converters:
            blocked = list(self.op_block_list or [])  # each converter starts from the user's list
            print(f"benchit: converting with {CONVERTER_MODULES[converter]}")  # the stage's log
            for _ in range(MAX_RETRIES + 1):
                try:
                    converted = self._convert(onnx.load(str(source)), converter, blocked)
                    save_onnx(converted, target, external)
                    onnx.checker.check_model(str(target))
                    runs_in_onnxruntime(target, ctx.inputs)  # loads, and has a kernel for every node
                except Exception as error:
                    reason = one_line(error)
                    failures.append(f"{converter}{' blocking ' + ','.join(blocked) if blocked else ''}: {reason}")
                    print(f"benchit: the float16 model is invalid ({failures[-1]})")
                    op = _offending_op(str(error), source)
                    if op is None or op in blocked or op in NEVER_BLOCKED:
                        break
                    blocked.append(op)  # keep that op type in float32 and convert again
                    continue
                self._record(ctx, converted, converter, blocked, failures, external)
                ctx.onnx_file = target
                return
        remove_file_and_data(target)
        reason = failures[0] if failures else "the converter wrote no model"
        if len(failures) > 1:
            reason += f"; {len(failures) - 1} retr{'y' if len(failures) == 2 else 'ies'} failed too"
        ctx.facts["fp16"] = f"not possible: {reason}"
        ctx.notes.append(f"fp16 not possible ({reason}); the float32 file is the build's model")
        print(f"benchit: {ctx.notes[-1]}")

    def _record(self, ctx: BuildContext, converted, converter: str, blocked: list, failures: list,
                external: bool) -> None:
        import onnx

        io = {i.name: onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name
              for i in list(converted.graph.input) + list(converted.graph.output) if i.type.HasField("tensor_type")}
        ctx.facts["fp16"] = "converted"
        ctx.facts["fp16_converter"] = converter
        ctx.facts["fp16_converter_fallback_reason"] = failures[0] if failures else None
        ctx.facts["fp16_io"] = "float32 (keep_io_types)" if self.keep_io_types else "float16 (float inputs are cast)"
        ctx.facts["fp16_io_types"] = io
        ctx.facts["fp16_op_block_list"] = blocked
        ctx.facts["external_data"] = external
        added = [op for op in blocked if op not in (self.op_block_list or [])]
        if added:
            ctx.notes.append(f"fp16: kept {', '.join(added)} in float32 (the fully converted model was invalid)")

    def _convert(self, model, converter: str, blocked: list):
        if converter == "onnxruntime":
            from onnxruntime.transformers import float16
        else:
            from onnxconverter_common import float16
        block = list(float16.DEFAULT_OP_BLOCK_LIST) + [op for op in blocked if op not in float16.DEFAULT_OP_BLOCK_LIST]
        return float16.convert_float_to_float16(model, keep_io_types=self.keep_io_types, op_block_list=block)


CONVERTER_MODULES = {"onnxconverter_common": "onnxconverter_common.float16",
                     "onnxruntime": "onnxruntime.transformers.float16"}


def _offending_op(message: str, source) -> str | None:
    """The op type an invalid-model error names: directly, or through the node's name in the source graph."""
    found = _OP.search(message)
    if found:
        return found.group(1) or found.group(2)
    node = _NODE.search(message)
    if not node:
        return None
    import onnx

    wanted = node.group(1)
    graphs = [onnx.load(str(source), load_external_data=False).graph]
    while graphs:
        graph = graphs.pop()
        for n in graph.node:
            if n.name == wanted:
                return n.op_type
            graphs.extend(a.g for a in n.attribute if a.type == onnx.AttributeProto.GRAPH)
    tail = wanted.rsplit("/", 1)[-1].split("_")[0]  # "/model/CumSum" -> CumSum
    return tail if tail[:1].isupper() else None
