"""Sequences: ordered stages, from config (a stage config per entry) or from a Python sequence file."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional

from benchit.build.stage import Stage, stage_from_config
from benchit.errors import Summary, root_cause


@dataclass
class SequenceConfig:
    name: str = "default"
    # Stage configs by key, in order (conf/sequence/default.yaml composes them from the `stage` group):
    # `sequence.stages.export.opset=18`. A list of stage configs is accepted too.
    stages: Any = None
    file: Optional[str] = None  # a Python file whose get_sequence() replaces `stages` (tutorial: --sequence-file)
    # Folders from which user stage modules (`_target_: my_stages.MyStage`) are imported; by default
    # every --config-dir, so a stage module can sit beside the YAML that names it.
    python_path: List[str] = field(default_factory=lambda: ["${benchit_config_dirs:}"])


@dataclass
class BuildConfig:
    strict: bool = False  # a stage whose outputs differ from the framework's beyond its tolerance fails the build


@dataclass
class Sequence:
    name: str
    stages: list[Stage]

    def stage_names(self, framework: str) -> list[str]:
        return [stage.stage_name(framework) for stage in self.stages]

    def describe(self) -> list[dict[str, Any]]:
        return [stage.describe() for stage in self.stages]


class SequenceError(Summary):
    """What is wrong with a sequence, naming it (and its file): the message users read, not its cause's."""


def load_sequence(config: SequenceConfig | dict) -> Sequence:
    """The Sequence a `sequence` config (or the same as a dict) describes: a `file` wins over `stages`.

    A stage config's `_target_` in the user's own module is imported from `python_path` (by default every
    --config-dir), then from the usual sys.path.
    """
    if isinstance(config, dict):
        from benchit.data import from_data

        config = from_data(SequenceConfig, {"python_path": [], **config})
    _extend_path(config.python_path or [])
    if config.file:
        return sequence_from_file(Path(os.path.expanduser(str(config.file))))
    name = config.name or "custom"
    entries = list(config.stages.values()) if isinstance(config.stages, dict) else list(config.stages or [])
    stages = []
    for entry in entries:
        target = getattr(entry, "_target_", None) or (entry.get("_target_") if isinstance(entry, dict) else None)
        try:
            stage = stage_from_config(entry)
        except Exception as error:
            raise SequenceError(f"sequence '{name}': cannot create stage {target}: {root_cause(error)}") from error
        if not isinstance(stage, Stage):
            raise SequenceError(f"sequence '{name}': {target or type(stage).__name__} is not a benchit Stage "
                                "(subclass benchit.build.Stage)")
        stages.append(stage)
    if not stages:
        raise SequenceError(f"sequence '{name}' has no stages")
    return Sequence(name=name, stages=stages)


def check_sequence_file(path: str) -> str | None:
    """Why a --sequence-file cannot be used, found before any script runs (None: it exists)."""
    file = Path(os.path.expanduser(path))
    if not file.is_file():
        return f"sequence file not found: {path} (--sequence-file takes a .py file with a get_sequence() function)"
    return None


def _extend_path(entries) -> None:
    for entry in entries:
        for folder in str(entry).split(os.pathsep):
            folder = os.path.abspath(os.path.expanduser(folder)) if folder else ""
            if folder and os.path.isdir(folder) and folder not in sys.path:
                sys.path.append(folder)


def sequence_from_file(path: Path) -> Sequence:
    problem = check_sequence_file(str(path))
    if problem:
        raise SequenceError(problem)
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
        raise SequenceError(f"sequence file {path} raised: {root_cause(error)}") from error
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    if not isinstance(sequence, Sequence):
        raise SequenceError(f"get_sequence() in {path} returned {type(sequence).__name__}, not a benchit Sequence")
    bad = [type(s).__name__ for s in sequence.stages if not isinstance(s, Stage)]
    if bad or not sequence.stages:
        raise SequenceError(f"get_sequence() in {path}: " + (f"{bad[0]} is not a benchit Stage" if bad else "no stages"))
    return sequence
