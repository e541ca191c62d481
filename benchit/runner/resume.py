"""--resume: skip a script done before with the same config, when every build it made is still there."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from benchit.cache.files import read_json, write_json
from benchit.cache.layout import Build, safe_name
from benchit.config.schema import BenchitConfig, Mode
from benchit.data import from_data, to_data
from benchit.records import ScriptRecord, Status

RESUME_DIR = ("runs", "_resume")  # inside the cache; `runs` is reserved, so cache commands never take it for a build


def _digest(path: str | Path | None) -> str | None:
    try:
        return hashlib.sha256(Path(os.path.expanduser(str(path))).read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def config_fingerprint(config: BenchitConfig, script: Path) -> str:
    """What decides a script's results: its text and the config keys that change builds or measurements.

    Not included: where the cache or outputs are, timeout, verbose, labels, resume.
    """
    from benchit.version import __version__

    facts = {
        "benchit": __version__,
        "script": _digest(script),
        "mode": config.mode.value,
        "max_depth": config.max_depth,
        "batch_size": config.batch_size,
        "hashes": sorted(str(h).lower() for h in config.input.hashes),
        "script_args": config.input.script_args,
        "sequence": to_data(config.sequence),
        "sequence_file": _digest(config.sequence.file),
        "device": to_data(config.device) if config.mode is Mode.benchmark else None,
        "build": to_data(config.build),
        "rebuild": config.cache.rebuild.value,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _record_path(cache_dir: Path, script: Path, fingerprint: str) -> Path:
    where = hashlib.sha256(str(script.resolve()).encode()).hexdigest()[:8]
    return cache_dir.joinpath(*RESUME_DIR, fingerprint, f"{safe_name(script.stem)}_{where}.json")


def _builds(record: ScriptRecord) -> list[str] | None:
    """The build configs the script made; None if a selected model did not finish."""
    builds = []
    for _, inv in record.invocations():
        if not inv.selected:
            continue
        if inv.status not in (Status.BUILT, Status.BENCHMARKED):
            return None
        builds.append(f"{inv.build_name}/{inv.build_config}")
    return builds


def remember(cache_dir: Path, record: ScriptRecord, fingerprint: str) -> None:
    """After a script finished cleanly: its config fingerprint and its builds, for --resume."""
    builds = _builds(record)
    if builds is None:
        return
    try:
        write_json(_record_path(cache_dir, Path(record.script), fingerprint), {
            "fingerprint": fingerprint, "builds": sorted(set(builds)), "record": to_data(record),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    except OSError:
        pass  # a read-only cache only costs the next --resume a rerun


def resumed(cache_dir: Path, script: Path, fingerprint: str, mode: Mode) -> ScriptRecord | None:
    """The recorded run of this script with this fingerprint, if every build it made is still in the cache."""
    try:
        data = read_json(_record_path(cache_dir, script, fingerprint))
        if data.get("fingerprint") != fingerprint:
            return None
        record = from_data(ScriptRecord, data["record"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for build_id in data.get("builds") or []:
        name, _, config_id = str(build_id).partition("/")
        build = Build(cache_dir, name, config_id)
        if not build.exists() or (mode is Mode.benchmark and not build.stats_path.is_file()):
            return None  # deleted or cleaned since: run it again
    record.status = Status.SKIPPED
    return record
