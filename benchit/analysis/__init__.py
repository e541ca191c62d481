"""Discovery: run a script as `__main__` and record every model it calls, with its real inputs.

Hooks are installed when the script imports a framework (torch, keras), so a script that never
imports TensorFlow never pays for it. Model calls are hooked, not every Python call, so a script
runs at nearly its own speed.
"""

from benchit.analysis.models import Invocation, ModelInfo, model_hash
from benchit.analysis.recorder import ModelRecorder
from benchit.analysis.script import ScriptOutcome, run_script

__all__ = ["Invocation", "ModelInfo", "ModelRecorder", "ScriptOutcome", "model_hash", "run_script"]
