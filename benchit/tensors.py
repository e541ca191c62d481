"""Tensor plumbing shared by builds and devices: framework values as numpy, ONNX feeds, output comparison."""

from __future__ import annotations

from typing import Any

import numpy as np

# ONNX tensor element types that ONNX Runtime reports as "tensor(<name>)" -> numpy dtype
_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


def to_numpy(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # torch
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy") and hasattr(value, "shape"):  # tf / keras tensors
        return np.asarray(value.numpy())
    return None


def flatten_arrays(value: Any, prefix: str = "") -> list[tuple[str, np.ndarray]]:
    """(name, array) for every tensor inside nested tuples, lists, dicts and ModelOutputs, in order."""
    array = to_numpy(value)
    if array is not None:
        return [(prefix or "output", array)]
    items: list[tuple[str, Any]] = []
    children = _pytree_children(value)
    if children is not None:  # a KV cache registered for torch.export: its tensors, in the exporter's order
        items = [(f"{prefix}.{i}" if prefix else str(i), v) for i, v in enumerate(children)]
    elif isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        items = [(f"{prefix}.{k}" if prefix else str(k), value[k]) for k in value.keys()]
    elif isinstance(value, (list, tuple)):
        items = [(f"{prefix}.{i}" if prefix else str(i), v) for i, v in enumerate(value)]
    flat: list[tuple[str, np.ndarray]] = []
    for name, item in items:
        flat.extend(flatten_arrays(item, name))
    return flat


def _pytree_children(value: Any) -> list | None:
    """The children of an object torch's pytree knows how to flatten (not the built-in containers)."""
    import sys

    pytree = sys.modules.get("torch.utils._pytree")
    if pytree is None or isinstance(value, (dict, list, tuple)) or type(value).__module__ == "builtins":
        return None
    node = pytree.SUPPORTED_NODES.get(type(value))
    if node is None:
        return None
    children, _ = node.flatten_fn(value)
    return list(children)


def feeds_for(session_inputs, named_arrays: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Match a model's declared inputs to the script's tensors: by name first, then in order.

    Each array is cast to the dtype the model declares (a float16 model gets float16 inputs).
    """
    by_name = dict(named_arrays)
    unused = [name for name, _ in named_arrays]
    feeds = {}
    for declared in session_inputs:
        name = declared.name if declared.name in by_name else (unused[0] if unused else None)
        if name is None:
            raise ValueError(f"the model expects input '{declared.name}' but the script passed no tensor for it")
        unused.remove(name)
        feeds[declared.name] = cast_for(by_name[name], declared.type)
    return feeds


def cast_for(array: np.ndarray, ort_type: str) -> np.ndarray:
    dtype = _ORT_TYPES.get(ort_type)
    return array if dtype is None or array.dtype == dtype else array.astype(dtype)


def _abs_diff(ref, out) -> tuple[np.ndarray, np.ndarray] | None:
    """|ref - out| (and ref, both float64, ref's shape) with the rules of max_errors; None when the sizes differ."""
    ref64 = np.atleast_1d(np.asarray(ref, dtype=np.float64))  # 0-d outputs (a loss) too
    out64 = np.atleast_1d(np.asarray(out, dtype=np.float64))
    if out64.size != ref64.size:
        return None
    out64 = out64.reshape(ref64.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(ref64 - out64)
    diff[~np.isfinite(diff) & np.isfinite(ref64)] = np.inf
    diff[~np.isfinite(ref64) & (ref64 == out64)] = 0.0  # the framework's own inf/nan, reproduced
    diff[np.isnan(ref64) & np.isnan(out64)] = 0.0
    return diff, ref64


def max_errors(reference: list[np.ndarray], outputs: list[np.ndarray]) -> dict[str, float]:
    """Max absolute and max relative error between the framework's outputs and a model's.

    A NaN or infinity where the framework produced a finite number (float16 overflow) counts as an
    infinite error, and so does a missing output or a shape mismatch.
    """
    max_abs, max_rel = 0.0, 0.0
    if len(outputs) < len(reference):
        return {"max_abs_error": float("inf"), "max_rel_error": float("inf")}
    for ref, out in zip(reference, outputs):
        found = _abs_diff(ref, out)
        if found is None:
            return {"max_abs_error": float("inf"), "max_rel_error": float("inf")}
        diff, ref64 = found
        if diff.size == 0:
            continue
        max_abs = max(max_abs, float(np.max(diff)))
        scale = np.maximum(np.abs(np.nan_to_num(ref64)), 1e-6)
        max_rel = max(max_rel, float(np.max(diff / scale)))
    return {"max_abs_error": max_abs, "max_rel_error": max_rel}


def padding_mask(*named: dict) -> np.ndarray | None:
    """The `attention_mask` (batch x sequence, 1 = a real token) of the first of `named` (a file's inputs by name,
    the script's keyword arguments) that has one, when it marks padding; else None."""
    mask = next((d["attention_mask"] for d in named if isinstance(d, dict) and "attention_mask" in d), None)
    if mask is None or len(getattr(mask, "shape", ())) != 2:
        return None
    mask = np.asarray(mask.detach().cpu().numpy() if hasattr(mask, "detach") else mask)
    if mask.dtype.kind not in "biuf" or not np.isin(mask, (0, 1)).all() or mask.all() or not mask.any():
        return None
    return mask.astype(bool)


def _sequence_axis(shape: tuple, mask: np.ndarray) -> int | None:
    """Where an output holds the mask's sequence: (batch, sequence, ...) as logits and hidden states, else
    (batch, heads, sequence, ...) as a KV cache; None when it is not batch-first or has no such axis."""
    if len(shape) < 2 or shape[0] != mask.shape[0]:
        return None
    return next((axis for axis in (1, 2) if axis < len(shape) and shape[axis] == mask.shape[1]), None)


def unmasked_error(reference: list[np.ndarray], outputs: list[np.ndarray], mask: np.ndarray) -> float | None:
    """Max absolute error outside the padded positions: outputs that hold the mask's batch and sequence
    (_sequence_axis) are compared where the mask is 1 only (at a padded position every key of a query may be
    masked, and what a runtime computes there, and in the layers after it, is meaningless); the others whole.
    None when no output holds the mask's positions."""
    worst, masked = 0.0, False
    for ref, out in zip(reference, outputs):
        found = _abs_diff(ref, out)
        if found is None:
            return None
        diff = found[0]
        axis = _sequence_axis(diff.shape, mask)
        if axis is not None:
            shape = [1] * diff.ndim
            shape[0], shape[axis] = mask.shape
            diff, masked = diff[np.broadcast_to(mask.reshape(shape), diff.shape)], True
        if diff.size:
            worst = max(worst, float(np.max(diff)))
    return worst if masked else None


def validate(reference: list[np.ndarray], outputs: list[np.ndarray], abs_tolerance: float,
             mask: np.ndarray | None = None):
    """Compare a model's outputs with the framework's; the note says when the comparison means little. With a
    padding `mask` (padding_mask), an error over tolerance is judged outside the padded positions too."""
    from benchit.records import Validation

    errors = max_errors(reference, outputs)
    note = reference_note(reference)
    unmasked = None
    if mask is not None and errors["max_abs_error"] > abs_tolerance and len(outputs) >= len(reference):
        unmasked = unmasked_error(reference, outputs, mask)
    if unmasked is not None:
        where = (f"the error is at padded positions (attention_mask 0: outputs nobody reads); elsewhere it is "
                 f"{short_float(unmasked)}")
        note = f"{note}; {where}" if note else where
    judged = errors["max_abs_error"] if unmasked is None else unmasked
    return Validation(**errors, abs_tolerance=float(abs_tolerance), ok=judged <= abs_tolerance, note=note,
                      unmasked_abs_error=unmasked)


def reference_note(reference: list[np.ndarray]) -> str:
    """Why an error figure compares nothing: outputs that are empty, all zero or one constant (zeroed heads,
    random detection models that find no boxes)."""
    arrays = [np.asarray(a) for a in reference]
    numeric = [a for a in arrays if a.dtype.kind in "fiucb"]
    if not arrays or all(a.size == 0 for a in arrays):
        return "the framework's outputs are empty: the error compares nothing"
    values = [a.astype(np.float64).ravel() for a in numeric if a.size]
    if not values:
        return ""
    if all(not np.any(v) for v in values):
        return "the framework's outputs are all zero: the error compares nothing (random or zeroed weights?)"
    if all(np.all(v == v[0]) for v in values):
        return "the framework's outputs are constant: the error says little (random or zeroed weights?)"
    return ""


def short_float(value: float) -> str:
    """3.1e-2 rather than 3.1e-02: the form status lines use."""
    return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e+").replace("e+00", "")
