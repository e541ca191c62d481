"""Build: turn a discovered model into the files a device benchmarks, one stage at a time.

A `Stage` has a name and one job; a `Sequence` is an ordered list of stages, composed from
conf/sequence/*.yaml (or a --sequence-file's get_sequence()). `build_invocation` runs a sequence into a
build config's folder under a lock, validates each model file against the framework's outputs, records
state and logs, and reuses a finished build whose files are intact. See docs/builds.md.
"""

_HOMES = {
    "BuildContext": "benchit.build.stage", "Stage": "benchit.build.stage",
    "Sequence": "benchit.build.sequence", "load_sequence": "benchit.build.sequence",
    "ExportModel": "benchit.build.stages", "OptimizeOnnx": "benchit.build.stages",
    "ConvertFp16": "benchit.build.stages", "SetSuccess": "benchit.build.stages",
    "BuildResult": "benchit.build.builder", "build_invocation": "benchit.build.builder",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):  # lazily: a sequence file imports these without paying for numpy or onnx
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'benchit.build' has no attribute {name!r}")
