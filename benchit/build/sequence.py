"""Sequences: ordered stages, from config (`_target_` per stage) or from a Python sequence file."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchit.build.stage import Stage


@dataclass
class Sequence:
    name: str
    stages: list[Stage]

    def stage_names(self, framework: str) -> list[str]:
        return [stage.stage_name(framework) for stage in self.stages]

    def describe(self) -> list[dict[str, Any]]:
        return [stage.describe() for stage in self.stages]


class SequenceError(Exception):
    pass


def load_sequence(config: dict) -> Sequence:
    """Build the Sequence a `sequence` config describes: a `file` wins over `stages`."""
    file = config.get("file")
    if file:
        return _from_file(Path(file))
    from hydra.utils import instantiate

    stages = [instantiate(stage) for stage in config.get("stages") or []]
    for stage in stages:
        if not isinstance(stage, Stage):
            raise SequenceError(f"sequence '{config.get('name')}': {type(stage).__name__} is not a benchit Stage")
    if not stages:
        raise SequenceError(f"sequence '{config.get('name')}' has no stages")
    return Sequence(name=config.get("name") or "custom", stages=stages)


def _from_file(path: Path) -> Sequence:
    if not path.is_file():
        raise SequenceError(f"sequence file not found: {path}")
    spec = importlib.util.spec_from_file_location(f"benchit_sequence_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise SequenceError(f"sequence file {path} raised on import: {type(error).__name__}: {error}") from error
    get_sequence = getattr(module, "get_sequence", None)
    if get_sequence is None:
        raise SequenceError(f"sequence file {path} has no get_sequence() function")
    sequence = get_sequence()
    if not isinstance(sequence, Sequence):
        raise SequenceError(f"get_sequence() in {path} returned {type(sequence).__name__}, not a benchit Sequence")
    return sequence
