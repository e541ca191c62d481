"""The one scanner of a cache: every build config's report rows, served from an index kept in the cache.

The YAML files stay the source of truth. `<cache>/.index.sqlite` keeps each build config's rows with the
identity (inode, modification time, size) of the state and stats files they were read from; a build whose
files changed (an atomic write is a new inode), or that the index lacks, is read again, and a build that is
gone is dropped. It also keeps each model folder's listing of build configs, reused while the folder's
identity is unchanged. A damaged or foreign index file is replaced; a cache that cannot be written is scanned
without one. So a report over 10,000 builds reads 10,000 pairs of `stat` results and one SQLite table,
not 20,000 YAML files (docs/cache-and-reports.md, "How reports scale").
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchit.cache.layout import (LEGACY_STATE_SUFFIX, RESERVED_NAMES, STATE_FILE, STATS_FILE, STATE_VERSION, Build)
from benchit.records import Status
from benchit.report.output import US, Rendered, keys_of, render

INDEX_FILE = ".index.sqlite"
# Rows change when benchit's report changes: an index written by another row format is rebuilt.
ROW_FORMAT = f"rows-7/state-{STATE_VERSION}"
_FIELDS = "id, fingerprint, rows, artifacts, columns, cells, statuses, labels, torch"
_LISTINGS = ("create table if not exists listings (model text primary key, identity text, configs text, "
             "legacy integer)")
_SCANNED = "id, fingerprint, artifacts, columns, cells, statuses, labels, torch"  # the rows: when needed
_TABLE = ("create table if not exists builds (id text primary key, fingerprint text, rows text, artifacts text, "
          "columns text, cells text, statuses text, labels text, torch integer)")


@dataclass(slots=True)
class Entry:
    """One build config's report rows, kept twice: rendered (benchit/report/output.py's Rendered: what the
    CSV holds) and typed (JSON in the index, read only when a view needs them), so that a report over 100,000
    unchanged builds joins stored strings instead of decoding and formatting 100,000 rows."""

    key: str  # <model>/<config>
    model: str
    rendered: Rendered
    cache_dir: Path
    fingerprint: str = ""  # of the index row the rows are read from
    _rows: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, cache_dir: Path, key: str, model: str, rows: list[dict[str, Any]]) -> "Entry":
        return cls(key, model, _render(rows), cache_dir, _rows=rows)

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = _stored_rows(self)
        return self._rows

    def replace_rows(self, rows: list[dict[str, Any]]) -> None:
        self._rows, self.rendered = rows, _render(rows)


def _render(rows: list[dict[str, Any]]) -> Rendered:
    """In the report's column order: builds made by one sequence share it with the report (their CSV lines are
    their stored cells, joined)."""
    from benchit.report.rows import ordered_columns

    return render(rows, ordered_columns(keys_of(rows)))


_readers: dict[Path, sqlite3.Connection] = {}


def _stored_rows(entry: Entry) -> list[dict[str, Any]]:
    """The typed rows of an index-served entry; from the YAML if the index changed since the scan."""
    from benchit.report.rows import rows_of

    try:
        db = _readers.get(entry.cache_dir)
        if db is None:
            db = _readers[entry.cache_dir] = sqlite3.connect(
                f"{(entry.cache_dir / INDEX_FILE).as_uri()}?mode=ro", uri=True, timeout=10)
        found = db.execute("select rows from builds where id = ? and fingerprint = ?",
                           (entry.key, entry.fingerprint)).fetchone()
    except sqlite3.DatabaseError:
        found = None
    if found is not None:
        return json.loads(found[0])
    model, config = entry.key.split("/", 1)
    return rows_of(Build(entry.cache_dir, model, config))[0]


@dataclass
class Scan:
    entries: list[Entry] = field(default_factory=list)  # in build order
    warnings: list[str] = field(default_factory=list)
    builds: int = 0  # build configs
    models: int = 0
    reread: int = 0  # build configs read from their YAML this time (the rest came from the index)


def _identity(path: str) -> str:
    """inode:mtime:size, "-" for a file that is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


# A folder listing is reused while the folder's (inode, mtime) is unchanged: adding, removing or renaming a
# build config changes its folder's mtime. Not for a folder changed in the last seconds (an mtime is coarser
# than the changes it may hide: a config made just after the listing, in the same tick).
_SETTLED_NS = 2_000_000_000


def _listing(model_dir: str, model: str, stored: tuple | None) -> tuple[str, list[str], bool] | None:
    """(identity, config folders, holds an older benchit's state file) of one model folder; None if unreadable."""
    try:
        st = os.stat(model_dir)
    except OSError:
        return None
    identity = f"{st.st_ino}:{st.st_mtime_ns}"
    if stored is not None and stored[0] == identity:
        return identity, stored[1].split(US) if stored[1] else [], bool(stored[2])
    legacy = f"{model}{LEGACY_STATE_SUFFIX}"
    try:  # one listing gives the build configs and an older benchit's state file (no stat per name)
        entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in os.scandir(model_dir)]
    except OSError:
        return None
    configs = sorted(name for name, is_dir in entries if is_dir and not name.startswith("."))
    settled = time.time_ns() - st.st_mtime_ns > _SETTLED_NS
    return (identity if settled else ""), configs, any(name == legacy and not is_dir for name, is_dir in entries)


def _folders(cache_dir: Path, stored: dict[str, tuple]):
    """(model, config, fingerprint) for every build config, (model, reason) for folders benchit cannot read, and
    the model folders' listings to keep."""
    found, unreadable, listings = [], [], {}
    try:
        models = sorted(e.name for e in os.scandir(cache_dir) if e.is_dir(follow_symlinks=False)
                        and e.name not in RESERVED_NAMES and not e.name.startswith("."))
    except OSError:
        return found, unreadable, listings
    root = str(cache_dir)
    for model in models:
        model_dir = f"{root}/{model}"
        listed = _listing(model_dir, model, stored.get(model))
        if listed is None:
            continue
        identity, configs, legacy = listed
        listings[model] = (model, identity, US.join(configs), int(legacy))
        if legacy:
            unreadable.append((model, f"written by an older benchit (state_version 1: {model}{LEGACY_STATE_SUFFIX}); run "
                                      f"benchit on its script again to rebuild it, or `benchit cache delete {model}`"))
        for config in configs:
            base = f"{model_dir}/{config}"
            state, stats = _identity(f"{base}/{STATE_FILE}"), _identity(f"{base}/{STATS_FILE}")
            if state == "-" and stats == "-" and not os.path.exists(f"{base}/onnx"):
                continue  # not a build config (or one whose first write has not happened yet)
            found.append((model, config, f"{state}|{stats}"))  # what the index's rows were read from
    return found, unreadable, listings


def _open(cache_dir: Path) -> sqlite3.Connection:
    """The index, created or replaced when missing, damaged or of another format; in memory if read-only."""
    path = cache_dir / INDEX_FILE
    for attempt in range(2):
        try:
            db = sqlite3.connect(path, timeout=10)
            db.execute("create table if not exists meta (key text primary key, value text)")
            row = db.execute("select value from meta where key = 'format'").fetchone()
            if row is None or row[0] != ROW_FORMAT:
                db.execute("drop table if exists builds")
                db.execute("drop table if exists listings")
                db.execute("insert or replace into meta values ('format', ?)", (ROW_FORMAT,))
            db.execute(_TABLE)
            db.execute(_LISTINGS)
            db.commit()
            db.execute(f"select {_FIELDS} from builds limit 1").fetchall()  # a table of another shape: replaced
            db.execute("select model, identity, configs, legacy from listings limit 1").fetchall()
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
    db.execute(_TABLE)
    db.execute(_LISTINGS)
    return db


def _stored(entry: Entry, fingerprint: str, claimed: dict[str, int]) -> tuple:
    one = entry.rendered
    return (entry.key, fingerprint, json.dumps(entry.rows, default=str), json.dumps(claimed),
            json.dumps(one.columns), one.cells, ",".join(one.statuses), one.labels, int(one.torch))


def scan(cache_dir: Path, use_index: bool = True) -> Scan:
    """Every build config in `cache_dir`, in build order, with its rows."""
    from benchit.report.rows import broken_row, damage, mark_damaged, rows_of, settle_running

    result = Scan()
    db = _open(cache_dir) if use_index else _memory()
    try:
        stored = {record[0]: record[1:] for record in
                  db.execute("select model, identity, configs, legacy from listings")}
        found, unreadable, listings = _folders(cache_dir, stored)
        for model, reason in unreadable:
            rows = [{**broken_row(Build(cache_dir, model, ""), reason), "build_config": ""}]
            result.entries.append(Entry.of(cache_dir, model, model, rows))
        known = {record[0]: record[1:] for record in db.execute(f"select {_SCANNED} from builds")}
        updates, seen, column_orders, running = [], set(), {}, Status.RUNNING.value
        for model, config, fingerprint in found:
            key = f"{model}/{config}"
            seen.add(key)
            cached = known.get(key)
            if cached is not None and cached[0] == fingerprint:
                artifacts, columns, cells, statuses, labels, torch = cached[1:]
                order = column_orders.get(columns)  # a handful of column orders among all builds: decoded once
                if order is None:
                    order = column_orders[columns] = tuple(json.loads(columns))
                entry = Entry(key, model, Rendered(order, cells, tuple(statuses.split(",")), labels, bool(torch)),
                              cache_dir, fingerprint)
                claimed = json.loads(artifacts) if artifacts != "{}" else {}  # two or three names
            else:
                rows, claimed = rows_of(Build(cache_dir, model, config))
                entry = Entry.of(cache_dir, key, model, rows)
                updates.append(_stored(entry, fingerprint, claimed))
            problem = damage(f"{cache_dir}/{key}", claimed) if claimed else ""
            if problem:
                entry.replace_rows(mark_damaged(entry.rows, problem))
                result.warnings.append(f"damaged build {key} in cache {cache_dir}: {problem}")
            if running in entry.rendered.statuses:
                entry.replace_rows(settle_running(Build(cache_dir, model, config), entry.rows))
            result.entries.append(entry)
        result.builds, result.reread = len(found), len(updates)
        result.models = len({model for model, _, _ in found} | {model for model, _ in unreadable})
        gone = [key for key in known if key not in seen]
        try:
            with db:  # one transaction: a report killed meanwhile leaves the index as it was
                db.executemany("insert or replace into builds values (?, ?, ?, ?, ?, ?, ?, ?, ?)", updates)
                db.executemany("delete from builds where id = ?", [(key,) for key in gone])
                db.executemany("insert or replace into listings values (?, ?, ?, ?)",
                               [listed for model, listed in listings.items() if stored.get(model) != listed[1:]])
                db.executemany("delete from listings where model = ?", [(m,) for m in stored if m not in listings])
        except sqlite3.DatabaseError:  # busy or read-only: these rows are right, the index catches up next time
            pass
    finally:
        db.close()
    for entry in result.entries:  # broken builds are rare: only their rows are decoded for the reason
        if Status.BROKEN.value in entry.rendered.statuses:
            for row in entry.rows:
                if row.get("status") == Status.BROKEN.value:
                    result.warnings.append(f"broken build {entry.key} in cache {cache_dir}: {row.get('error')}")
    return result


def reindex(cache_dir: Path) -> Scan:
    """Throw the index away and read every build config again (`benchit cache reindex`)."""
    for stale in (cache_dir / INDEX_FILE, cache_dir / f"{INDEX_FILE}-journal"):
        try:
            stale.unlink()
        except FileNotFoundError:
            pass
    return scan(cache_dir)
