"""benchit's built-in stages. Each is configured by its constructor arguments (YAML or Python)."""

from __future__ import annotations

from pathlib import Path

from benchit.build.stage import BuildContext, Stage
from benchit.build.tensors import flatten_arrays

# Protobuf cannot hold a single file above 2 GB: past this many bytes of weights, use external data.
EXTERNAL_DATA_BYTES = 1_800_000_000


class ExportModel(Stage):
    """Export the model to ONNX: `export_pytorch` (torch.onnx.export) or `export_keras`.

    PyTorch: the dynamo exporter, falling back to the TorchScript exporter when it fails (the state
    records which one wrote the file). `exporter` = "auto" | "dynamo" | "torchscript".
    """

    name = "export"
    tolerance = 1e-4

    def __init__(self, opset: int = 20, exporter: str = "auto", tolerance: float = 1e-4):
        if exporter not in ("auto", "dynamo", "torchscript"):
            raise ValueError(f"exporter must be auto, dynamo or torchscript, not {exporter!r}")
        self.opset = opset
        self.exporter = exporter
        self.tolerance = tolerance

    def stage_name(self, framework: str) -> str:
        return f"export_{framework}"

    def run(self, ctx: BuildContext) -> None:
        target = ctx.build.onnx_dir / f"{ctx.build.name}.onnx"
        target.parent.mkdir(parents=True, exist_ok=True)
        if ctx.framework == "keras":
            from benchit.analysis import keras_support

            keras_support.export_onnx(ctx.model, ctx.args, ctx.kwargs, target, self.opset)
            ctx.facts["exporter"] = "keras.export"
        else:
            ctx.facts["exporter"] = self._export_pytorch(ctx, target)
        import onnx

        onnx.checker.check_model(str(target))  # a path: works for models with external data too
        model = onnx.load(str(target), load_external_data=False)
        ctx.facts["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
        ctx.onnx_file = target
        ctx.inputs = _match_inputs([i.name for i in model.graph.input], ctx.args, ctx.kwargs)

    def _export_pytorch(self, ctx: BuildContext, target: Path) -> str:
        import torch

        weight_bytes = sum(p.numel() * p.element_size() for p in ctx.model.parameters())
        big = weight_bytes > EXTERNAL_DATA_BYTES
        if self.exporter in ("auto", "dynamo"):
            try:
                with torch.no_grad():
                    torch.onnx.export(
                        ctx.model, ctx.args, str(target), kwargs=ctx.kwargs or None,
                        dynamo=True, external_data=big, opset_version=self.opset,
                    )
                return "dynamo"
            except Exception as error:
                if self.exporter == "dynamo":
                    raise
                print(f"benchit: the dynamo exporter failed ({type(error).__name__}: {error}); "
                      "falling back to the TorchScript exporter")
        args = ctx.args + ((ctx.kwargs,) if ctx.kwargs else ())
        with torch.no_grad():
            torch.onnx.export(ctx.model, args, str(target), dynamo=False, opset_version=min(self.opset, 20))
        return "torchscript"


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


def _has_external_data(path: Path) -> bool:
    return any(p.name.startswith(path.name) and p != path for p in path.parent.iterdir())


class OptimizeOnnx(Stage):
    """ONNX Runtime's offline graph optimization, written to a new file.

    level: "basic" | "extended" (default) | "all". "extended" stays valid on other machines;
    "all" adds layout changes specific to this machine's CPU.
    """

    name = "optimize_onnx"

    def __init__(self, level: str = "extended", tolerance: float = 1e-4):
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
        if _has_external_data(source):
            # Otherwise the optimized file points back at the original's weights by relative path.
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name", target.name + ".data"
            )
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
            )
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        ctx.onnx_file = target


class ConvertFp16(Stage):
    """Convert float32 weights and ops to float16 with onnxconverter-common.

    keep_io_types=False: the model takes and returns float16 (benchit casts the inputs);
    True: float32 inputs and outputs with Casts inside. Integer inputs always stay integer.
    op_block_list: op types that stay float32.
    """

    name = "fp16_conversion"

    def __init__(self, keep_io_types: bool = False, op_block_list: list | None = None, tolerance: float = 1e-2):
        self.keep_io_types = keep_io_types
        self.op_block_list = list(op_block_list) if op_block_list else None
        self.tolerance = tolerance

    def run(self, ctx: BuildContext) -> None:
        import onnx
        from onnxconverter_common import float16

        source = ctx.onnx_file
        target = source.with_name(f"{ctx.build.name}-fp16.onnx")
        model = onnx.load(str(source))
        kwargs = {"keep_io_types": self.keep_io_types}
        if self.op_block_list is not None:
            kwargs["op_block_list"] = self.op_block_list
        converted = float16.convert_float_to_float16(model, **kwargs)
        big = converted.ByteSize() > EXTERNAL_DATA_BYTES if hasattr(converted, "ByteSize") else False
        onnx.save(converted, str(target), save_as_external_data=big)
        ctx.facts["fp16_io"] = "float32" if self.keep_io_types else "float16 (inputs cast)"
        ctx.onnx_file = target


class SetSuccess(Stage):
    """Mark the build successful (the tutorial's last stage)."""

    name = "set_success"
    writes_model = False

    def __init__(self):
        pass

    def run(self, ctx: BuildContext) -> None:
        ctx.facts["build_status"] = "successful"
