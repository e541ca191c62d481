"""The optimize stage: ONNX Runtime's offline graph optimization, written to `<name>-opt.onnx`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from benchit.build.onnx_files import EXTERNAL_MIN_TENSOR_BYTES, has_external_data, remove_file_and_data
from benchit.build.stage import BuildContext, Stage

LEVELS = ("basic", "extended", "all")


@dataclass
class OptimizeOnnx(Stage):
    """level: "basic" (default) | "extended" | "all".

    Basic rewrites (constant folding, redundant node elimination, Conv+BatchNorm fusion, ...) run before
    graph partitioning and hold for every execution provider, so the file is valid on any machine and device;
    the device's runtime still applies its own provider-specific optimizations when it loads the file.
    "extended" fuses for the CPU provider that optimized it (a Gemm+Relu becomes com.microsoft FusedGemm,
    which has no CUDA or TensorRT kernel); "all" also changes layouts for this machine's CPU (ONNX Runtime
    warns the file is hardware-specific).
    """

    level: str = "basic"
    tolerance: float = 1e-4

    name: ClassVar[str] = "optimize_onnx"

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be basic, extended or all, not {self.level!r}")

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
        if has_external_data(source):
            # Otherwise the optimized file points back at the original's weights by relative path.
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name", target.name + ".data")
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes", str(EXTERNAL_MIN_TENSOR_BYTES))
        remove_file_and_data(target)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        if not target.is_file():
            raise RuntimeError(f"ONNX Runtime wrote no optimized model to {target}")
        ctx.facts["optimization_level"] = self.level
        ctx.facts["external_data"] = has_external_data(target)
        ctx.onnx_file = target
