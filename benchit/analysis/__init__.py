"""Discovery: which scripts to run, running each as `__main__`, and recording every model it calls.

Hooks are installed when the script imports a framework (torch, keras), so a script that never imports
TensorFlow never pays for it. Model calls are hooked, not every Python call, so a script runs at nearly its
own speed. Modules: inputs (which scripts), script (run one), recorder (the hooks), naming (names and
places from frames), values (signatures, copies), models (what is recorded), keras_support.
"""

_HOMES = {"ModelRecorder": "benchit.analysis.recorder", "run_script": "benchit.analysis.script",
          "ModelInfo": "benchit.analysis.models", "Invocation": "benchit.analysis.models",
          "model_hash": "benchit.analysis.models"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):  # lazily: the runner imports inputs.py without the recorder
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'benchit.analysis' has no attribute {name!r}")
