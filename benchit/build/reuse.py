"""Whether a build config already in the cache can be used as it is, and loading it when it can.

A build is reused only when it finished, is not lean, and every file the benchmark reads (the model, its
external data, the inputs) holds what the build wrote: sizes first (a truncated file), then SHA-256 (an
in-place change keeps the size). The inputs are loaded without pickle. Anything else is rebuilt, with the
reason in the state.
"""

from __future__ import annotations

from benchit.cache.layout import Build
from benchit.errors import one_line
from benchit.records import BuildState, BuildStatus


def previous_state(build: Build, key: str) -> tuple[BuildState | None, str | None]:
    """The build's current state, and why it cannot be reused as it is (None: it can)."""
    try:
        state = build.load_state()
    except FileNotFoundError:
        return None, None
    except Exception as error:  # not valid YAML, another benchit's layout, a field of the wrong type
        return None, f"unreadable state file ({one_line(error, 160)})"
    status = state.build_status
    if status in (BuildStatus.RUNNING, BuildStatus.NOT_STARTED):
        return state, f"the previous build was interrupted during {state.current_stage or 'start-up'}"
    if status is BuildStatus.FAILED:
        return state, f"the previous build failed{' in ' + state.failed_stage if state.failed_stage else ''}"
    if state.lean:
        return state, "its files were deleted (lean cache)"
    if state.config.build_key != key:
        return state, "its state names another build key (edited by hand?)"
    return state, None


def load_inputs(build: Build) -> dict | str:
    """The captured inputs, never unpickled; a string says why they cannot be read."""
    import numpy as np

    if not build.inputs_path.is_file():
        return {}
    try:
        with np.load(build.inputs_path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except Exception as error:
        return f"inputs.npz cannot be read safely ({one_line(error, 120)})"
