"""The one scanner of a cache: every build config's report rows, served from an index kept in the cache.

The YAML files stay the source of truth. `<cache>/.index.sqlite` keeps each build config's rows with the
identity (inode, modification time, size) of the state and stats files they were read from; a build whose
files changed (an atomic write is a new inode), or that the index lacks, is read again, and a build that is
gone is dropped. A damaged or foreign index file is replaced; a cache that cannot be written is scanned
without one. So a report over 10,000 builds reads 10,000 pairs of `stat` results and one SQLite table,
not 20,000 YAML files (docs/cache-and-reports.md, "How reports scale").
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.layout import (LEGACY_STATE_SUFFIX, RESERVED_NAMES, STATE_FILE, STATS_FILE, STATE_VERSION, Build)
from benchit.records import Status

INDEX_FILE = ".index.sqlite"
# Rows change when benchit's report changes: an index written by another row format is rebuilt.
ROW_FORMAT = f"rows-3/state-{STATE_VERSION}"


@dataclass
class Scan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    builds: int = 0  # build configs
    models: int = 0
    reread: int = 0  # build configs read from their YAML this time (the rest came from the index)


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _folders(cache_dir: Path):
    """(model, config, fingerprint) for every build config, and (model, reason) for folders benchit cannot read."""
    found, unreadable = [], []
    try:
        models = sorted(e.name for e in os.scandir(cache_dir) if e.is_dir(follow_symlinks=False)
                        and e.name not in RESERVED_NAMES and not e.name.startswith("."))
    except OSError:
        return found, unreadable
    root = str(cache_dir)
    for model in models:
        model_dir = f"{root}/{model}"
        legacy = f"{model}{LEGACY_STATE_SUFFIX}"
        try:  # one listing gives the build configs and an older benchit's state file (no stat per name)
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in os.scandir(model_dir)]
        except OSError:
            continue
        if any(name == legacy and not is_dir for name, is_dir in entries):
            unreadable.append((model, f"written by an older benchit (state_version 1: {legacy}); "
                                      f"run benchit on its script again to rebuild it, or `benchit cache delete {model}`"))
        for config in sorted(name for name, is_dir in entries if is_dir and not name.startswith(".")):
            base = f"{model_dir}/{config}"
            state, stats = _identity(f"{base}/{STATE_FILE}"), _identity(f"{base}/{STATS_FILE}")
            if state is None and stats is None and not os.path.exists(f"{base}/onnx"):
                continue  # not a build config (or one whose first write has not happened yet)
            found.append((model, config, f"{state}|{stats}"))
    return found, unreadable


def _open(cache_dir: Path) -> sqlite3.Connection:
    """The index, created or replaced when missing, damaged or of another format; in memory if read-only."""
    path = cache_dir / INDEX_FILE
    for attempt in range(2):
        try:
            db = sqlite3.connect(path, timeout=10)
            db.execute("create table if not exists meta (key text primary key, value text)")
            db.execute("create table if not exists builds (id text primary key, fingerprint text, rows text, "
                       "artifacts text)")
            row = db.execute("select value from meta where key = 'format'").fetchone()
            if row is None or row[0] != ROW_FORMAT:
                db.execute("delete from builds")
                db.execute("insert or replace into meta values ('format', ?)", (ROW_FORMAT,))
                db.commit()
            return db
        except sqlite3.DatabaseError:  # not a database (edited, truncated), or read-only
            try:
                db.close()
            except Exception:  # noqa: BLE001
                pass
            if attempt == 0 and os.access(cache_dir, os.W_OK):
                for stale in (path, Path(f"{path}-journal")):
                    try:
                        stale.unlink()
                    except OSError:
                        pass
                continue
            break
    return _memory()


def _memory() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("create table builds (id text primary key, fingerprint text, rows text, artifacts text)")
    return db


def scan(cache_dir: Path, use_index: bool = True) -> Scan:
    """Every row of every build config in `cache_dir`, in build order."""
    from benchit.report.rows import broken_row, damage, mark_damaged, rows_of, settle_running

    result = Scan()
    found, unreadable = _folders(cache_dir)
    for model, reason in unreadable:
        result.rows.append({**broken_row(Build(cache_dir, model, ""), reason), "build_config": ""})
        result.warnings.append(f"broken build {model} in cache {cache_dir}: {reason}")
    db = _open(cache_dir) if use_index else _memory()
    try:
        known = {key: (fingerprint, rows, artifacts) for key, fingerprint, rows, artifacts
                 in db.execute("select id, fingerprint, rows, artifacts from builds")}
        updates, seen = [], set()
        for model, config, fingerprint in found:
            key = f"{model}/{config}"
            seen.add(key)
            cached = known.get(key)
            if cached is not None and cached[0] == fingerprint:
                rows, claimed = json.loads(cached[1]), json.loads(cached[2])
            else:
                rows, claimed = rows_of(Build(cache_dir, model, config))
                updates.append((key, fingerprint, json.dumps(rows, default=str), json.dumps(claimed)))
            problem = damage(f"{cache_dir}/{key}", claimed)
            if problem:
                rows = mark_damaged(rows, problem)
                result.warnings.append(f"damaged build {key} in cache {cache_dir}: {problem}")
            if any(row.get("status") == Status.RUNNING.value for row in rows):
                rows = settle_running(Build(cache_dir, model, config), rows)
            result.rows.extend(rows)
            for row in rows:
                if row.get("status") == Status.BROKEN.value:
                    result.warnings.append(f"broken build {key} in cache {cache_dir}: {row.get('error')}")
        result.builds, result.reread = len(found), len(updates)
        result.models = len({model for model, _, _ in found} | {model for model, _ in unreadable})
        gone = [key for key in known if key not in seen]
        try:
            with db:  # one transaction: a report killed meanwhile leaves the index as it was
                db.executemany("insert or replace into builds values (?, ?, ?, ?)", updates)
                db.executemany("delete from builds where id = ?", [(key,) for key in gone])
        except sqlite3.DatabaseError:  # busy or read-only: these rows are right, the index catches up next time
            pass
    finally:
        db.close()
    return result


def reindex(cache_dir: Path) -> Scan:
    """Throw the index away and read every build config again (`benchit cache reindex`)."""
    for stale in (cache_dir / INDEX_FILE, cache_dir / f"{INDEX_FILE}-journal"):
        try:
            stale.unlink()
        except FileNotFoundError:
            pass
    return scan(cache_dir)
