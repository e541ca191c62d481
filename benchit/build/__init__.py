"""Build: turn a discovered model into the files a device benchmarks, one stage at a time.

A `Stage` has a name and one job; a `Sequence` is an ordered list of stages, usually composed
from conf/sequence/*.yaml (or a --sequence-file's get_sequence()). `build_invocation` runs a
sequence into a cache folder under a lock, validates each model file against the framework's own
outputs, records state and logs, and reuses a successful build when nothing that matters has
changed. Modules: stage (interface, context), sequence (loading), stages (the built-in stages),
keras_export (Keras -> ONNX), builder (state, validation, reuse), tensors (numpy plumbing).
See docs/builds.md.
"""

from benchit.build.builder import BuildError, BuildResult, build_invocation
from benchit.build.sequence import Sequence, load_sequence
from benchit.build.stage import BuildContext, Stage
from benchit.build.stages import ConvertFp16, ExportModel, OptimizeOnnx, SetSuccess

__all__ = [
    "BuildContext",
    "BuildError",
    "BuildResult",
    "ConvertFp16",
    "ExportModel",
    "OptimizeOnnx",
    "Sequence",
    "SetSuccess",
    "Stage",
    "build_invocation",
    "load_sequence",
]
