"""Call arguments as discovery sees them: signatures, the forward's own parameter names, safe copies."""

from __future__ import annotations

import sys
from typing import Any


def signature_of(value: Any) -> Any:
    """A hashable description of a call argument: shapes and dtypes for tensors, values for scalars."""
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return ("T", tuple(shape), str(value.dtype))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(signature_of(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, signature_of(v)) for k, v in value.items()))
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("V", value)
    if is_kv_cache(value):  # generate()'s cache grows call by call: each length is its own signature
        length = getattr(value, "get_seq_length", None)
        return ("C", type(value).__name__, length() if callable(length) else None)
    return ("O", type(value).__name__)


def is_kv_cache(value: Any) -> bool:
    """A transformers KV cache (DynamicCache, EncoderDecoderCache, a model's own `*Cache`)."""
    return type(value).__name__.endswith("Cache") and type(value).__module__.startswith("transformers")


def normalize_call(model, framework: str, args: tuple, kwargs: dict) -> tuple[tuple, dict, list[str]]:
    """Bind a call to the model's forward signature: `m(x)` and `m(x=x)` are the same call.

    Arguments stay positional up to the first parameter the call left out; later ones become
    keywords, so the builder never shifts an argument into the wrong slot.
    """
    import inspect

    forward = getattr(model, "forward", None) if framework == "pytorch" else getattr(model, "call", None)
    try:
        parameters = inspect.signature(forward).parameters
        bound = inspect.signature(forward).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs, [f"arg{i}" for i in range(len(args))]
    positional, keywords, names = [], {}, []
    gap = False
    for name, param in parameters.items():
        if name in bound.arguments and bound.arguments[name] is None and param.default is None:
            del bound.arguments[name]  # `mask=None` where None is the default: the same call as leaving it out
        if name not in bound.arguments:
            if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                gap = True
            continue
        value = bound.arguments[name]
        if param.kind == param.VAR_POSITIONAL:
            if gap or keywords:  # cannot happen with a valid call; keep the call as it was
                return args, kwargs, [f"arg{i}" for i in range(len(args))]
            names.extend(f"{name}{i}" for i in range(len(value)))
            positional.extend(value)
        elif param.kind == param.VAR_KEYWORD:
            keywords.update(value)
        elif param.kind == param.KEYWORD_ONLY or gap or keywords:
            keywords[name] = value
        else:
            names.append(name)
            positional.append(value)
    return tuple(positional), keywords, names


def head_rows(outputs: Any, batch: Any) -> Any:
    """The rows of `outputs` that belong to `batch` (predict returns every batch's outputs at once)."""
    first = batch if getattr(batch, "shape", None) is not None else next(iter(
        batch.values() if isinstance(batch, dict) else batch))
    rows = int(first.shape[0])
    if getattr(outputs, "shape", None) is not None:
        return outputs[:rows]
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(head_rows(o, batch) for o in outputs)
    if isinstance(outputs, dict):
        return {k: head_rows(v, batch) for k, v in outputs.items()}
    return outputs


def detached(value: Any) -> Any:
    """A copy of tensors (detached, cloned) so later in-place changes by the script cannot alter it."""
    if hasattr(value, "detach") and hasattr(value, "clone"):
        is_inference = getattr(value, "is_inference", None)
        if is_inference is not None and is_inference():  # made under inference_mode: copy it to a normal tensor
            with sys.modules["torch"].inference_mode(False):
                return value.detach().clone()
        return value.detach().clone()
    if type(value).__module__ == "numpy" and hasattr(value, "copy"):
        return value.copy()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(detached(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(detached(v) for v in value)
    if isinstance(value, dict):
        try:
            return type(value)((k, detached(v)) for k, v in value.items())
        except TypeError:
            return {k: detached(v) for k, v in value.items()}
    if hasattr(value, "to_tuple") and hasattr(value, "keys"):  # transformers ModelOutput
        return {k: detached(value[k]) for k in value.keys()}
    if is_kv_cache(value):  # generate() passes one cache and fills it in place: keep it as this call saw it
        import copy

        return copy.deepcopy(value)
    return value
