"""What discovery records about a model and each distinct way the script called it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def model_hash(description: str) -> str:
    """First 8 hex digits of SHA-256 of the model's repr (PyTorch) or summary (Keras).

    Same architecture, same hash: SmallModel(10, 5) -> 479b1332, as in the tutorial.
    """
    return hashlib.sha256(description.encode()).hexdigest()[:8]


@dataclass
class Invocation:
    """One input signature (shapes and dtypes) of one model, with the first inputs and outputs seen."""

    signature: tuple  # hashable description of the inputs, see recorder.signature_of
    index: int  # 1 for the first signature the script used with this model, 2 for the next, ...
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    outputs: Any = None
    arg_names: list = field(default_factory=list)  # the forward() parameter name of each positional arg
    calls: int = 0
    seconds: float = 0.0  # time spent inside the model's calls during the script

    def described_inputs(self):
        for i, value in enumerate(self.args):
            yield (self.arg_names[i] if i < len(self.arg_names) else f"arg{i}"), describe_value(value)
        for name, value in self.kwargs.items():
            yield name, describe_value(value)

    def release(self) -> None:
        """Drop the captured inputs and outputs (the counts and signature stay)."""
        self.args, self.kwargs, self.outputs = (), {}, None


def describe_value(value: Any) -> Any:
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return {"shape": [int(d) if d is not None else None for d in shape],
                "dtype": str(value.dtype).replace("torch.", "")}
    if isinstance(value, (list, tuple)):
        return [describe_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe_value(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return type(value).__name__


@dataclass
class ModelInfo:
    """A model the script called (depth 0) or a sub-module called inside one (depth >= 1)."""

    model: Any  # the live framework object (dropped by release() once built and benchmarked)
    framework: str  # "pytorch" | "keras"
    name: str
    class_name: str
    class_path: str  # e.g. "<class 'hello_world.SmallModel'>"
    location: tuple[str, int] | None
    params: int
    hash: str
    depth: int = 0
    parent: "ModelInfo | None" = None  # the recorded model it was called inside (depth >= 1)
    invocations: list[Invocation] = field(default_factory=list)
    param_bytes: int = 0  # the parameters' real size (float16 weights count 2 bytes each)
    location_note: str = ""  # set when `location` is not where the model was created
    is_layer: bool = False  # a Keras layer that is not a Model (only ever a sub-module)

    @property
    def model_type(self) -> str:
        if self.framework == "pytorch":
            return "Pytorch (torch.nn.Module)"
        return "Keras (keras.layers.Layer)" if self.is_layer else "Keras (keras.Model)"

    @property
    def calls(self) -> int:
        return sum(inv.calls for inv in self.invocations)

    def release(self) -> None:
        """Drop the live model and every captured tensor, so their memory can be returned."""
        self.model = None
        for inv in self.invocations:
            inv.release()


def identify(info: ModelInfo) -> None:
    """Hash, parameter count and size: computed after the first call, when the model is built."""
    model = info.model
    try:
        if info.framework == "keras":
            from benchit.analysis import keras_support

            description = keras_support.summary(model)
            info.params, info.param_bytes = keras_support.count_params(model)
        else:
            description = repr(model)
            seen, params, size = set(), 0, 0
            for p in model.parameters():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                try:
                    params += p.numel()
                    size += p.numel() * p.element_size()
                except (ValueError, RuntimeError):  # an uninitialized lazy parameter
                    pass
            info.params, info.param_bytes = int(params), int(size)
    except Exception as error:  # a model whose repr or summary fails is still reported
        description = f"{info.class_path} ({type(error).__name__})"
    # A repr that shows an object's address (`<function f at 0x7f...>`) would change every run.
    info.hash = model_hash(_ADDRESS.sub("", description))
