"""The Stage interface and the context a stage works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.layout import Build


@dataclass
class BuildContext:
    """Everything a stage may read or change while one model invocation is built."""

    model: Any  # the live PyTorch / Keras object
    framework: str  # "pytorch" | "keras"
    args: tuple
    kwargs: dict
    reference_outputs: list  # the framework's outputs during the script, flattened to numpy arrays
    build: Build
    onnx_file: Path | None = None  # the newest model file; each model-writing stage replaces it
    inputs: dict = field(default_factory=dict)  # ONNX input name -> numpy array (set by the export)
    facts: dict = field(default_factory=dict)  # what stages want recorded in the state (opset, exporter, ...)


class Stage:
    """One step of a build. Subclasses set `name` and implement `run`.

    A stage that writes a new model file sets `ctx.onnx_file` and keeps `writes_model = True`:
    the builder then checks that file against the framework's outputs with `tolerance`.
    Constructor arguments are the stage's parameters; they are recorded in the build state and
    a change in any of them makes the next run rebuild.
    """

    name: str = "stage"
    writes_model: bool = True
    tolerance: float | None = None  # max absolute output error before the status warns

    def stage_name(self, framework: str) -> str:
        """The name recorded in the state file (the export stage's depends on the framework)."""
        return self.name

    def params(self) -> dict[str, Any]:
        """The stage's parameters as plain data (what the state records and the build key hashes)."""
        return {k: _plain(v) for k, v in vars(self).items() if not k.startswith("_")}

    def describe(self) -> dict[str, Any]:
        return {"stage": self.name, "class": f"{type(self).__module__}.{type(self).__qualname__}", **self.params()}

    def run(self, ctx: BuildContext) -> None:
        raise NotImplementedError


def _plain(value: Any) -> Any:
    """YAML-safe data: containers of str/int/float/bool/None; anything else as its str()."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
