"""Records as plain data and back: what JSON and YAML files hold.

`to_data(record)` gives dicts, lists, strings, numbers, booleans and None; `from_data(Record, data)` checks
the types as it builds the record again (a file edited by hand is an error naming the field, not a crash
later); `flat(record)` is one row with nested records' fields joined in.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(obj: Any) -> Any:
    """A record as plain data (dicts, lists, str, numbers, bools, None), ready for JSON or YAML."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


class RecordError(ValueError):
    """Data that does not fit a record: the message names the field."""


def from_data(cls: type[T], data: Any) -> T:
    """Plain data back into a record. Unknown keys are ignored (a newer benchit's), missing ones take defaults."""
    return _converter(cls)(data, cls.__name__)


@functools.lru_cache(maxsize=None)
def _converter(kind: Any):
    """A function (data, where) -> value for one type, built once per type (the report converts thousands)."""
    origin = typing.get_origin(kind)
    if kind is Any or kind is object:
        return lambda data, where: data
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        inner = _converter(options[0]) if len(options) == 1 else (lambda data, where: data)
        return lambda data, where: None if data is None else inner(data, where)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(kind)]

        def record(data, where):
            if not isinstance(data, dict):
                raise RecordError(f"{where}: not a mapping (found {type(data).__name__})")
            values = {name: convert(data[name], where) for name, convert in fields if name in data}
            try:
                return kind(**values)
            except TypeError as error:  # a required field is missing
                raise RecordError(f"{where}: {error}") from None
        return record
    if origin is list:
        (item,) = typing.get_args(kind) or (Any,)
        convert_item = _converter(item)

        def items(data, where):
            if not isinstance(data, list):
                raise RecordError(f"{where}: not a list (found {type(data).__name__})")
            return [convert_item(v, where) for v in data]
        return items
    if origin is dict or kind is dict:
        args = typing.get_args(kind)
        convert_value = _converter(args[1] if len(args) == 2 else Any)

        def mapping(data, where):
            if not isinstance(data, dict):
                raise RecordError(f"{where}: not a mapping (found {type(data).__name__})")
            return {k: convert_value(v, where) for k, v in data.items()}
        return mapping
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        def member(data, where):
            try:
                return kind(data)
            except ValueError:
                raise RecordError(f"{where}: {data!r} is not one of {', '.join(str(m.value) for m in kind)}") \
                    from None
        return member
    if kind is float:
        def number(data, where):
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise RecordError(f"{where}: expected a number, found {data!r}")
            return float(data)
        return number
    if kind in (int, str, bool):
        def plain(data, where):
            if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
                raise RecordError(f"{where}: expected {kind.__name__}, found {data!r}")
            return data
        return plain
    return lambda data, where: data


def flat(record: Any) -> dict[str, Any]:
    """A record as one flat row: nested records' fields join the row (their names are unique by design)."""
    row: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if dataclasses.is_dataclass(value):
            row.update(flat(value))
        elif isinstance(value, enum.Enum):
            row[f.name] = value.value
        else:
            row[f.name] = value
    return row
