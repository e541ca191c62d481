"""Sequences: ordered stages, from config (`_target_` per stage) or from a Python sequence file."""

from __future__ import annotations

import importlib.util
import os
import sys
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
    """Build the Sequence a `sequence` config describes: a `file` wins over `stages`.

    Each stage is a dict with `_target_` (a Stage class) and the stage's parameters. A `_target_`
    in the user's own module is imported from `python_path` (by default every --config-dir), then
    from the usual sys.path.
    """
    _extend_path(config.get("python_path") or [])
    file = config.get("file")
    if file:
        return _from_file(Path(os.path.expanduser(str(file))))
    from hydra.utils import instantiate

    name = config.get("name") or "custom"
    stages = []
    for item in config.get("stages") or []:
        target = item.get("_target_") if hasattr(item, "get") else None
        try:
            _check_target(target)
            stage = instantiate(item, _convert_="all")  # plain lists and dicts, never OmegaConf nodes
        except Exception as error:
            cause = error
            while cause.__cause__ is not None:  # Hydra wraps the real reason (ModuleNotFoundError, ...)
                cause = cause.__cause__
            text = f"{type(cause).__name__}: {cause}".strip().splitlines()[0]
            raise SequenceError(f"sequence '{name}': cannot create stage {target}: {text}") from error
        if not isinstance(stage, Stage):
            raise SequenceError(f"sequence '{name}': {target or type(stage).__name__} is not a benchit Stage "
                                "(subclass benchit.build.Stage)")
        stages.append(stage)
    if not stages:
        raise SequenceError(f"sequence '{name}' has no stages")
    return Sequence(name=name, stages=stages)


def _check_target(target) -> None:
    """Say which part of `module.Class` is missing (Hydra's own message blames the module)."""
    if not isinstance(target, str) or "." not in target:
        return
    module_name, _, attribute = target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return  # Hydra tries other splits (nested classes); its error names the module
    if not hasattr(module, attribute):
        raise AttributeError(f"module {module_name} ({getattr(module, '__file__', '?')}) has no {attribute}")


def _extend_path(entries) -> None:
    for entry in entries:
        for folder in str(entry).split(os.pathsep):
            folder = os.path.abspath(os.path.expanduser(folder)) if folder else ""
            if folder and os.path.isdir(folder) and folder not in sys.path:
                sys.path.append(folder)


def _from_file(path: Path) -> Sequence:
    if not path.is_file():
        raise SequenceError(f"sequence file not found: {path}")
    spec = importlib.util.spec_from_file_location(f"benchit_sequence_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # the file may import stage modules that sit beside it
    try:
        spec.loader.exec_module(module)
        get_sequence = getattr(module, "get_sequence", None)
        if get_sequence is None:
            raise SequenceError(f"sequence file {path} has no get_sequence() function")
        sequence = get_sequence()
    except SequenceError:
        raise
    except Exception as error:
        raise SequenceError(f"sequence file {path} raised: {type(error).__name__}: {error}") from error
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    if not isinstance(sequence, Sequence):
        raise SequenceError(f"get_sequence() in {path} returned {type(sequence).__name__}, not a benchit Sequence")
    bad = [type(s).__name__ for s in sequence.stages if not isinstance(s, Stage)]
    if bad or not sequence.stages:
        raise SequenceError(f"get_sequence() in {path}: " + (f"{bad[0]} is not a benchit Stage" if bad else "no stages"))
    return sequence
