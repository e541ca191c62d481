"""Crash-safe file primitives: atomic writes (temp file + rename), safe YAML, file locks."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; cache files are shared like any other
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and error.filename is None:  # a full disk: say which file it was
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise


class _Dumper(yaml.SafeDumper):
    """Safe YAML that writes tuples as lists and never emits Python-specific tags."""


_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))
_Dumper.ignore_aliases = lambda self, data: True  # no &id001 anchors: state files are read by people


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def write_yaml(path: Path | str, data: Any) -> None:
    atomic_write_text(path, dump_yaml(data))


# libyaml's safe loader when PyYAML has it (10x faster: `benchit report` reads thousands of files);
# both build plain data only.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str) -> Any:
    """Read YAML with the safe loader only: a cache file can never construct Python objects."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_SafeLoader)


def write_json(path: Path | str, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str))


def read_json(path: Path | str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_lock(build, timeout: float = -1) -> FileLock:
    """An inter-process lock for one build config (held while building it or recording into it).

    The lock file sits in `<cache>/.locks/`, not inside the build, so deleting a build never deletes a lock
    that another process holds.
    """
    build.lock_path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(build.lock_path), timeout=timeout)


def write_record(path: Path | str, record: Any) -> None:
    """A record (benchit.records) as YAML, atomically."""
    from benchit.data import to_data

    write_yaml(path, to_data(record))
