"""The export stage: the script's model, called as the script called it, written to ONNX.

PyTorch: the dynamo exporter, falling back to the TorchScript exporter when it fails (the state records
which one wrote the file, and why it fell back). A model called with its default `use_cache` (transformers
decoders and encoder-decoders) returns a KV cache object that ONNX cannot hold: it is exported the way such a
model is deployed for one forward pass, with `use_cache=False`, and the state says so. Keras: tf2onnx, then
Keras' own `model.export` (keras_export.py).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from benchit.build.onnx_files import (EXTERNAL_DATA_BYTES, has_external_data, initializer_bytes,
                                      remove_file_and_data, save_onnx)
from benchit.build.stage import BuildContext, Stage
from benchit.errors import Summary, root_cause
from benchit.tensors import flatten_arrays

EXPORTERS = ("auto", "dynamo", "torchscript", "tf2onnx", "keras")


class ExportError(Summary):
    """No exporter could write the model (the message names each exporter's reason)."""


@dataclass
class ExportModel(Stage):
    """Export to ONNX: `export_pytorch` (torch.onnx.export) or `export_keras`.

    exporter: auto (PyTorch: dynamo, then TorchScript; Keras: tf2onnx, then keras model.export) | dynamo |
    torchscript | tf2onnx | keras. The model is exported in eval mode. Models whose weights exceed
    `external_data_bytes` are written as `<name>.onnx` + `<name>.onnx.data`.
    """

    opset: int = 20  # the version actually written is recorded (dynamo's minimum is 18)
    exporter: str = "auto"
    tolerance: float = 1e-4  # max abs error against the framework's outputs before the status warns
    external_data_bytes: int = EXTERNAL_DATA_BYTES

    name: ClassVar[str] = "export"

    def __post_init__(self) -> None:
        if self.exporter not in EXPORTERS:
            raise ValueError(f"exporter must be one of {', '.join(EXPORTERS)}, not {self.exporter!r}")

    def stage_name(self, framework: str) -> str:
        return f"export_{framework}"

    def run(self, ctx: BuildContext) -> None:
        import onnx

        target = ctx.build.onnx_dir / f"{ctx.build.name}.onnx"
        target.parent.mkdir(parents=True, exist_ok=True)
        ctx.facts["opset_requested"] = self.opset
        if ctx.framework == "keras":
            from benchit.build.keras_export import export_keras

            exporter, fallback = export_keras(ctx.model, ctx.args, ctx.kwargs, target, self.opset, self.exporter)
            weight_bytes = initializer_bytes(target)
        else:
            weight_bytes = _torch_weight_bytes(ctx.model)
            exporter, fallback = self._export_pytorch(ctx, target, weight_bytes > self.external_data_bytes)
        ctx.facts["exporter"] = exporter
        ctx.facts["exporter_fallback_reason"] = fallback
        external = weight_bytes > self.external_data_bytes
        if external != has_external_data(target):
            save_onnx(onnx.load(str(target)), target, external)  # the exporter chose otherwise: fix it
        onnx.checker.check_model(str(target))  # a path: works for models with external data too
        model = onnx.load(str(target), load_external_data=False)
        ctx.facts["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
        ctx.facts["external_data"] = external
        ctx.onnx_file = target
        ctx.inputs = match_inputs([i.name for i in model.graph.input], ctx.args, ctx.kwargs)

    def _export_pytorch(self, ctx: BuildContext, target: Path, big: bool) -> tuple[str, str | None]:
        import torch

        if self.exporter in ("tf2onnx", "keras"):
            raise ValueError(f"exporter={self.exporter} is for Keras models; this is a PyTorch model")
        was_training = bool(getattr(ctx.model, "training", False))
        try:
            ctx.model.eval()
        except NotImplementedError:  # torch.export's ExportedProgram.module() has no modes: it stays as traced
            was_training = False
        args, kwargs = _trailing_dict_by_name(ctx.model, ctx.args, dict(ctx.kwargs))
        cache_off = _returns_kv_cache(ctx.model, kwargs)
        if cache_off:
            kwargs["use_cache"] = False
            ctx.facts["kv_cache"] = ("exported with use_cache=False: the script's call returns a KV cache object, "
                                     "which an ONNX graph cannot return; the file is one forward pass without it")
        if was_training:
            ctx.facts["reference_outputs"] = EVAL_MODE
        try:
            exporter, fallback = self._run_exporters(ctx.model, args, kwargs, target, big)
        finally:
            if was_training:
                ctx.model.train()
        reference = file_reference(ctx.model, ctx.args, ctx.kwargs, ctx.facts)
        if reference is not None:
            ctx.reference_outputs = reference
        return exporter, fallback

    def _run_exporters(self, model, args: tuple, kwargs: dict, target: Path, big: bool) -> tuple[str, str | None]:
        import torch

        _register_cache_pytrees(model)
        fallback = None
        captured_args, captured_kwargs = args, kwargs
        args, kwargs = _without_shared_caches(args), _without_shared_caches(kwargs)
        if self.exporter in ("auto", "dynamo"):
            # Not under no_grad: that switches some modules (TransformerEncoder) to fused fast paths no exporter knows.
            try:
                torch.onnx.export(model, args, str(target), kwargs=kwargs or None, dynamo=True, external_data=big,
                                  opset_version=self.opset)
                return "dynamo", None
            except Exception as error:
                if self.exporter == "dynamo":
                    raise
                fallback = root_cause(error)
                print(f"benchit: the dynamo exporter failed ({fallback}); falling back to the TorchScript exporter")
                _print_chain(error)
                remove_file_and_data(target)
        args, kwargs = _without_shared_caches(captured_args), _without_shared_caches(captured_kwargs)
        try:
            torch.onnx.export(model, args + ((kwargs,) if kwargs else ()), str(target), dynamo=False,
                              opset_version=min(self.opset, 20))
        except Exception as error:
            if fallback is None:
                raise
            raise ExportError(f"no exporter could export the model (TorchScript: {root_cause(error)}; "
                              f"dynamo: {fallback})") from error
        return "torchscript", fallback


def _print_chain(error: BaseException) -> None:
    """The whole reason, for the stage's log (the state and status line keep the root cause)."""
    import traceback

    print("".join(traceback.format_exception(type(error), error, error.__traceback__)))


def _trailing_dict_by_name(model, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """`model(batch_dict)`: both exporters take a dict at the end of the positional arguments for keyword
    arguments; pass it by its parameter's name instead."""
    if not args or not isinstance(args[-1], dict):
        return args, kwargs
    try:
        parameters = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        return args, kwargs
    index = len(args) - 1
    if index < len(parameters) and parameters[index].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        return args[:-1], {parameters[index].name: args[-1], **kwargs}
    return args, kwargs


EVAL_MODE = "eval mode (the script called the model in training mode)"


def file_reference(model, args: tuple, kwargs: dict, facts: dict) -> list | None:
    """What the exported file computes, by the framework, when that is not what the script's call returned
    (None then): the call in eval mode (a script may call the model in training mode: dropout, batch
    statistics) and without the KV cache an ONNX graph cannot return, on the same inputs. The build validates
    against it, and so does every ONNX runtime that benchmarks the file, the build reused or not."""
    if not (facts.get("kv_cache") or facts.get("reference_outputs") == EVAL_MODE):
        return None
    import torch

    from benchit.tensors import flatten_arrays

    args, kwargs = _trailing_dict_by_name(model, args, dict(kwargs))
    if facts.get("kv_cache"):
        kwargs["use_cache"] = False
    was_training = bool(getattr(model, "training", False))
    try:
        if was_training:
            model.eval()
        with torch.no_grad():
            outputs = model(*_without_shared_caches(args), **_without_shared_caches(kwargs))
    finally:
        if was_training:
            model.train()
    return [array for _, array in flatten_arrays(outputs)]


def _without_shared_caches(value):
    """A KV cache is filled in place by every call, the exporter's trace included: export on a copy, so the
    captured inputs stay what the script passed (validation and the benchmark feed them)."""
    from benchit.analysis.values import is_kv_cache

    if is_kv_cache(value):
        import copy

        return copy.deepcopy(value)
    if isinstance(value, tuple):
        return tuple(_without_shared_caches(v) for v in value)
    if isinstance(value, list):
        return [_without_shared_caches(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_shared_caches(v) for k, v in value.items()}
    return value


def _register_cache_pytrees(model) -> None:
    """Let torch.export take a transformers KV cache as an input (a generate() step passes one): transformers
    registers its cache classes as pytrees for exactly this."""
    import sys

    if "transformers" not in sys.modules:
        return
    try:
        from transformers.exporters.exporter_dynamo import register_cache_pytrees_for_model
    except ImportError:  # an older transformers: caches as inputs stay unexportable
        return
    try:
        register_cache_pytrees_for_model(model)
    except Exception as error:  # noqa: BLE001 - the export says what fails, if anything does
        print(f"benchit: could not register transformers' cache pytrees ({root_cause(error)})")


def _returns_kv_cache(model, kwargs: dict) -> bool:
    """A transformers model whose call returns a KV cache: its config says use_cache and the call did not
    turn it off."""
    from benchit.analysis.values import is_kv_cache

    if kwargs.get("use_cache") is False or "past_key_values" in kwargs or any(map(is_kv_cache, kwargs.values())):
        return False  # the call passes a cache in (a generate() step): it is exported as called
    config = getattr(model, "config", None)
    if not getattr(config, "use_cache", False):
        return False
    try:
        return "use_cache" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _torch_weight_bytes(model) -> int:
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def match_inputs(graph_inputs: list[str], args: tuple, kwargs: dict) -> dict:
    """The script's tensors keyed by the exported graph's input names (by name, else in order)."""
    flat = flatten_arrays(list(args)) + flatten_arrays(dict(kwargs))
    by_name = dict(flat)
    remaining = [name for name, _ in flat]
    feeds = {}
    for name in graph_inputs:
        key = name if name in by_name else (remaining[0] if remaining else None)
        if key is None:
            break
        remaining.remove(key)
        feeds[name] = by_name[key]
    return feeds
