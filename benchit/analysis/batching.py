"""The batch dimension of a model's inputs: finding it, and re-batching captured inputs to N samples.

A call has a batch dimension when every tensor argument has at least two dimensions and they all share the
leading one (a 1-D input, like the tutorial's `x: (10,)`, has none: its only dimension is features).
"""

from __future__ import annotations

from typing import Any


def _tensors(value: Any) -> list:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def batch_size_of(args: tuple, kwargs: dict) -> int | None:
    """The shared leading dimension of the call's tensor inputs, or None when they have none."""
    tensors = _tensors(list(args)) + _tensors(dict(kwargs))
    if not tensors or any(len(t.shape) < 2 or t.shape[0] is None for t in tensors):
        return None
    leading = {int(t.shape[0]) for t in tensors}
    return leading.pop() if len(leading) == 1 else None


class NoBatchDimension(ValueError):
    pass


def rebatch(args: tuple, kwargs: dict, n: int) -> tuple[tuple, dict]:
    """The same call with `n` samples: the first n rows, or the rows repeated in order up to n."""
    if n < 1:
        raise NoBatchDimension(f"batch_size={n}: give a positive number of samples")
    current = batch_size_of(args, kwargs)
    if current is None:
        raise NoBatchDimension("has no batch dimension (its tensor inputs need 2 or more dimensions sharing the "
                               "leading one), so batch_size cannot re-batch them; run this model without batch_size")
    rows = [i % current for i in range(n)]

    def take(value):
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return _take_rows(value, rows)
        if isinstance(value, (list, tuple)):
            return type(value)(take(v) for v in value)
        if isinstance(value, dict):
            return {k: take(v) for k, v in value.items()}
        return value

    return tuple(take(a) for a in args), {k: take(v) for k, v in kwargs.items()}


def _take_rows(tensor, rows: list[int]):
    module = type(tensor).__module__.split(".")[0]
    if module == "torch":
        import torch

        return tensor[torch.tensor(rows, device=tensor.device)].clone()
    if module == "numpy":
        return tensor[rows].copy()
    import tensorflow as tf  # a TensorFlow / Keras tensor

    return tf.gather(tensor, rows)
