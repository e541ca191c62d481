"""The Stage interface, the context a stage works on, and stage configs.

A built-in stage is a dataclass whose fields are its parameters: their defaults are the only ones, and the
config schema Hydra checks (`sequence.stages.export.opset=18`) is made from the same fields.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

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
    notes: list = field(default_factory=list)  # what the status line must say (fp16 not possible, ...)


class Stage:
    """One step of a build. Subclasses set `name` and implement `run`.

    A stage that writes a new model file sets `ctx.onnx_file` and keeps `writes_model = True`: the builder
    then checks that file against the framework's outputs with `tolerance` (max absolute error). Its
    parameters (dataclass fields, or constructor arguments) are recorded in the build state and are part
    of the build config: a change in any of them is another build.
    """

    name: ClassVar[str] = "stage"
    writes_model: ClassVar[bool] = True
    tolerance: float | None = None  # max abs output error before the status warns

    def stage_name(self, framework: str) -> str:
        """The name recorded in the state file (the export stage's depends on the framework)."""
        return self.name

    def params(self) -> dict[str, Any]:
        """The stage's parameters as plain data (what the state records and the build key hashes)."""
        if dataclasses.is_dataclass(self):
            values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        else:
            values = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return {k: _plain(v) for k, v in values.items()}

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


def config_schema(stage_class: type, target: str | None = None) -> type:
    """A dataclass for Hydra's ConfigStore: `_target_` naming the stage, then the stage's own fields."""
    hints = typing.get_type_hints(stage_class)
    target = target or f"{stage_class.__module__}.{stage_class.__qualname__}"
    fields = [("_target_", str, field(default=target))]
    for f in dataclasses.fields(stage_class):
        default = field(default_factory=f.default_factory) if f.default_factory is not dataclasses.MISSING \
            else field(default=f.default)
        fields.append((f.name, hints[f.name], default))
    return dataclasses.make_dataclass(f"{stage_class.__name__}Config", fields)


def stage_from_config(config: Any) -> Stage:
    """The stage a config names: `_target_` is a Stage class, the other keys its parameters."""
    values = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    target = values.pop("_target_", None)
    if not isinstance(target, str) or "." not in target:
        raise ValueError(f"a stage needs _target_: a Stage class such as benchit.build.stages.ExportModel "
                         f"(got {target!r})")
    module_name, _, attribute = target.rpartition(".")
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise AttributeError(f"module {module_name} ({getattr(module, '__file__', '?')}) has no {attribute}")
    return getattr(module, attribute)(**values)
