"""benchit: benchmark the PyTorch and Keras models inside ordinary Python scripts.

The command line (`benchit --help`) is the main interface; from Python:

    import benchit
    results = benchit.benchmark_script("my_script.py", device="x86")
    results = benchit.benchmark_model(model, inputs, sequence="export_only")
    print(results); results.to_frame()

`__all__` is the public surface (docs/python-api.md); every other name is private.

Names are imported lazily, so `import benchit` stays instant (no torch, no Hydra).
"""

from benchit.version import __version__

__all__ = [
    "__version__",
    # Python API (benchit.api)
    "benchmark_script",
    "benchmark_model",
    "build_model",
    "compose_config",
    "results_frame",
    "ModelResult",
    "Results",
    "BenchitError",
    "ConfigError",
    "RunFailed",
    # Building blocks for sequence files and your own stages (benchit.build)
    "Stage",
    "Sequence",
    "BuildContext",
    "ExportModel",
    "OptimizeOnnx",
    "ConvertFp16",
    "SetSuccess",
]

_HOMES = {
    **{name: "benchit.api" for name in ("benchmark_script", "benchmark_model", "build_model", "compose_config",
                                         "results_frame", "ModelResult", "Results", "BenchitError",
                                         "ConfigError", "RunFailed")},
    **{name: "benchit.build" for name in ("Stage", "Sequence", "BuildContext", "ExportModel", "OptimizeOnnx",
                                           "ConvertFp16", "SetSuccess")},
}


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'benchit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
