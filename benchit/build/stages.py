"""benchit's built-in stages. Each is configured by its constructor arguments (YAML or Python)."""

from __future__ import annotations

import re
from pathlib import Path

from benchit.build.stage import BuildContext, Stage
from benchit.build.tensors import flatten_arrays

# Protobuf cannot hold a single file above 2 GB: past this many bytes of weights, use external data.
EXTERNAL_DATA_BYTES = 1_800_000_000
# With external data, tensors smaller than this stay inside the .onnx file: shape constants must,
# or ONNX Runtime's shape inference cannot read them.
EXTERNAL_MIN_TENSOR_BYTES = 128


class ExportModel(Stage):
    """Export the model to ONNX: `export_pytorch` (torch.onnx.export) or `export_keras`.

    PyTorch: the dynamo exporter, falling back to the TorchScript exporter when it fails (the state
    records which one wrote the file, and why it fell back). `exporter` = "auto" | "dynamo" |
    "torchscript" (PyTorch) | "tf2onnx" | "keras" (Keras; "auto": tf2onnx, then keras model.export).
    The model is exported in eval mode. Models whose weights exceed `external_data_bytes` are
    written as `<name>.onnx` + `<name>.onnx.data` (ONNX external data); smaller ones as one file.
    """

    name = "export"
    tolerance = 1e-4

    def __init__(self, opset: int = 20, exporter: str = "auto", tolerance: float = 1e-4,
                 external_data_bytes: int = EXTERNAL_DATA_BYTES):
        if exporter not in ("auto", "dynamo", "torchscript", "tf2onnx", "keras"):
            raise ValueError(f"exporter must be auto, dynamo, torchscript, tf2onnx or keras, not {exporter!r}")
        self.opset = int(opset)
        self.exporter = exporter
        self.tolerance = tolerance
        self.external_data_bytes = int(external_data_bytes)

    def stage_name(self, framework: str) -> str:
        return f"export_{framework}"

    def run(self, ctx: BuildContext) -> None:
        target = ctx.build.onnx_dir / f"{ctx.build.name}.onnx"
        target.parent.mkdir(parents=True, exist_ok=True)
        ctx.facts["opset_requested"] = self.opset
        if ctx.framework == "keras":
            from benchit.build.keras_export import export_keras

            exporter, fallback = export_keras(ctx.model, ctx.args, ctx.kwargs, target, self.opset, self.exporter)
            weight_bytes = None
        else:
            weight_bytes = _torch_weight_bytes(ctx.model)
            exporter, fallback = self._export_pytorch(ctx, target, weight_bytes > self.external_data_bytes)
        ctx.facts["exporter"] = exporter
        ctx.facts["exporter_fallback_reason"] = fallback
        import onnx

        if weight_bytes is None:
            weight_bytes = _initializer_bytes(target)
        external = weight_bytes > self.external_data_bytes
        if external != has_external_data(target):
            save_onnx(onnx.load(str(target)), target, external)  # the exporter chose otherwise: fix it
        onnx.checker.check_model(str(target))  # a path: works for models with external data too
        model = onnx.load(str(target), load_external_data=False)
        ctx.facts["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
        ctx.facts["external_data"] = external
        ctx.onnx_file = target
        ctx.inputs = _match_inputs([i.name for i in model.graph.input], ctx.args, ctx.kwargs)

    def _export_pytorch(self, ctx: BuildContext, target: Path, big: bool) -> tuple[str, str | None]:
        import torch

        if self.exporter in ("tf2onnx", "keras"):
            raise ValueError(f"exporter={self.exporter} is for Keras models; this is a PyTorch model")
        was_training = bool(getattr(ctx.model, "training", False))
        try:
            ctx.model.eval()
        except NotImplementedError:  # torch.export's ExportedProgram.module() has no modes: it stays as traced
            was_training = False
        fallback = None
        try:
            if self.exporter in ("auto", "dynamo"):
                # Not under no_grad: that switches some modules (TransformerEncoder) to fused fast
                # paths that no exporter knows.
                try:
                    torch.onnx.export(
                        ctx.model, ctx.args, str(target), kwargs=ctx.kwargs or None,
                        dynamo=True, external_data=big, opset_version=self.opset,
                    )
                    return "dynamo", None
                except Exception as error:
                    if self.exporter == "dynamo":
                        raise
                    fallback = one_line(error)
                    print(f"benchit: the dynamo exporter failed ({fallback}); falling back to the TorchScript exporter")
                    for stale in target.parent.glob(target.name + "*"):
                        stale.unlink()
            args = ctx.args + ((ctx.kwargs,) if ctx.kwargs else ())
            try:
                torch.onnx.export(ctx.model, args, str(target), dynamo=False, opset_version=min(self.opset, 20))
            except Exception as error:
                if fallback is None:
                    raise
                raise ExportError(f"no exporter could export the model (TorchScript: {one_line(error)}; "
                                  f"dynamo: {fallback})") from error
            return "torchscript", fallback
        finally:
            if was_training:
                # The script ran the model in training mode (dropout, batch statistics): the file holds
                # the eval-mode model, so compare it with eval-mode outputs on the same inputs.
                with torch.no_grad():
                    outputs = ctx.model(*ctx.args, **ctx.kwargs)
                ctx.reference_outputs = [array for _, array in flatten_arrays(outputs)]
                ctx.facts["reference_outputs"] = "eval mode (the script called the model in training mode)"
                ctx.model.train()


class ExportError(Exception):
    """Neither exporter could write the model."""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(error: BaseException, limit: int = 200) -> str:
    """`Type: first line of the message`, without colour codes, at most `limit` characters."""
    text = _ANSI.sub("", f"{type(error).__name__}: {error}").strip()
    line = text.splitlines()[0] if text else type(error).__name__
    line = line.split(" This is step ")[0]  # torch.onnx's "This is step 3/3 of exporting... Next steps:"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _torch_weight_bytes(model) -> int:
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def _initializer_bytes(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    total = 0
    for tensor in model.graph.initializer:
        length = next((int(e.value) for e in tensor.external_data if e.key == "length"), None)
        total += length if length is not None else len(tensor.raw_data)
    return total


def has_external_data(path: Path) -> bool:
    """Whether an ONNX file keeps (some of) its weights in separate files."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)


def save_onnx(model, path: Path, external: bool) -> None:
    """Save a ModelProto as one file, or with all weights in `<file>.data` beside it."""
    import onnx

    for stale in path.parent.glob(path.name + ".data"):
        stale.unlink()
    if external:
        onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                  location=path.name + ".data", size_threshold=EXTERNAL_MIN_TENSOR_BYTES)
    else:
        onnx.save(model, str(path))


def _match_inputs(graph_inputs: list[str], args: tuple, kwargs: dict) -> dict:
    """The script's tensors keyed by the exported graph's input names (by name, else in order)."""
    flat = flatten_arrays(list(args)) + flatten_arrays(dict(kwargs))
    by_name = dict(flat)
    remaining = [name for name, _ in flat]
    feeds = {}
    for name in graph_inputs:
        key = name if name in by_name else (remaining[0] if remaining else None)
        if key is None:
            break
        remaining.remove(key)
        feeds[name] = by_name[key]
    return feeds


class OptimizeOnnx(Stage):
    """ONNX Runtime's offline graph optimization, written to `<name>-opt.onnx`.

    level: "basic" (default) | "extended" | "all". Basic rewrites (constant folding, redundant
    node elimination, Conv+BatchNorm fusion, ...) run before graph partitioning and hold for every
    execution provider, so the file is valid on any machine and device; the device's runtime still
    applies its own provider-specific optimizations when it loads the file. "extended" fuses for the
    CPU provider that optimized it (a Gemm+Relu becomes com.microsoft FusedGemm, which has no CUDA
    or TensorRT kernel: a GPU run would send that node back to the CPU); "all" also changes layouts
    for this machine's CPU (ONNX Runtime warns the file is hardware-specific).
    """

    name = "optimize_onnx"

    def __init__(self, level: str = "basic", tolerance: float = 1e-4):
        if level not in ("basic", "extended", "all"):
            raise ValueError(f"level must be basic, extended or all, not {level!r}")
        self.level = level
        self.tolerance = tolerance

    def run(self, ctx: BuildContext) -> None:
        import onnxruntime as ort

        levels = {
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }
        source = ctx.onnx_file
        target = source.with_name(f"{ctx.build.name}-opt.onnx")
        options = ort.SessionOptions()
        options.graph_optimization_level = levels[self.level]
        options.optimized_model_filepath = str(target)
        external = has_external_data(source)
        if external:
            # Otherwise the optimized file points back at the original's weights by relative path.
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name", target.name + ".data"
            )
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes", str(EXTERNAL_MIN_TENSOR_BYTES)
            )
        for stale in target.parent.glob(target.name + "*"):
            stale.unlink()
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        if not target.is_file():
            raise RuntimeError(f"ONNX Runtime wrote no optimized model to {target}")
        ctx.facts["optimization_level"] = self.level
        ctx.facts["external_data"] = has_external_data(target)
        ctx.onnx_file = target


class ConvertFp16(Stage):
    """Convert float32 weights and ops to float16.

    converter: "auto" (default): onnxconverter-common's converter, and when the model it writes
    does not load in ONNX Runtime (e.g. a Cast type mismatch), ONNX Runtime's own
    `onnxruntime.transformers.float16` converter, recorded as a fallback; or exactly one of
    "onnxconverter_common" | "onnxruntime".
    keep_io_types=False (default): the model takes and returns float16 (benchit casts float inputs);
    True: float32 inputs and outputs with Casts inside. Integer inputs always stay integer.
    op_block_list: op types that stay float32, added to the converter's own list.
    A model whose source keeps external data keeps it (`<name>-fp16.onnx.data`).
    """

    name = "fp16_conversion"

    def __init__(self, keep_io_types: bool = False, op_block_list: list | None = None, tolerance: float = 1e-2,
                 converter: str = "auto"):
        if converter not in ("auto", "onnxconverter_common", "onnxruntime"):
            raise ValueError(f"converter must be auto, onnxconverter_common or onnxruntime, not {converter!r}")
        self.keep_io_types = bool(keep_io_types)
        self.op_block_list = list(op_block_list) if op_block_list else None
        self.tolerance = tolerance
        self.converter = converter

    def run(self, ctx: BuildContext) -> None:
        import onnx

        source = ctx.onnx_file
        target = source.with_name(f"{ctx.build.name}-fp16.onnx")
        external = has_external_data(source)
        first = "onnxruntime" if self.converter == "onnxruntime" else "onnxconverter_common"
        converted = self._convert(onnx.load(str(source)), first)  # with its external data, if any
        save_onnx(converted, target, external)
        used, fallback = first, None
        try:
            onnx.checker.check_model(str(target))
            _loads_in_onnxruntime(target)
        except Exception as error:
            if self.converter != "auto":
                raise
            fallback = one_line(error)
            print(f"benchit: onnxconverter-common's float16 model is invalid ({fallback}); "
                  "converting with onnxruntime.transformers.float16")
            converted = self._convert(onnx.load(str(source)), "onnxruntime")
            save_onnx(converted, target, external)
            onnx.checker.check_model(str(target))
            used = "onnxruntime"
        io = {i.name: onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name
              for i in list(converted.graph.input) + list(converted.graph.output)
              if i.type.HasField("tensor_type")}
        ctx.facts["fp16_converter"] = used
        ctx.facts["fp16_converter_fallback_reason"] = fallback
        ctx.facts["fp16_io"] = "float32 (keep_io_types)" if self.keep_io_types else "float16 (float inputs are cast)"
        ctx.facts["fp16_io_types"] = io
        ctx.facts["fp16_op_block_list"] = self.op_block_list or []
        ctx.facts["external_data"] = external
        ctx.onnx_file = target

    def _convert(self, model, converter: str):
        if converter == "onnxruntime":
            from onnxruntime.transformers import float16
        else:
            from onnxconverter_common import float16
        blocked = list(float16.DEFAULT_OP_BLOCK_LIST)
        blocked += [op for op in self.op_block_list or [] if op not in blocked]
        return float16.convert_float_to_float16(model, keep_io_types=self.keep_io_types, op_block_list=blocked)


def _loads_in_onnxruntime(path: Path) -> None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class SetSuccess(Stage):
    """Mark the build successful (the tutorial's last stage)."""

    name = "set_success"
    writes_model = False

    def __init__(self):
        pass

    def run(self, ctx: BuildContext) -> None:
        ctx.facts["build_status"] = "successful"
