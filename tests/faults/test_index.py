"""The report's index (<cache>/.index.sqlite) is only a cache of the state files: whatever happens to it, or to
a build behind its back, `benchit report` says what the YAML says."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from helpers import HELLO, configs_of, copy_cache, run_benchit

pytestmark = pytest.mark.slow


@pytest.fixture
def cache(hello_built, tmp_path):
    return copy_cache(hello_built, tmp_path / "cache")


def _report(cache, tmp_path) -> list[dict]:
    out = tmp_path / "report.csv"
    run_benchit("report", "-o", str(out), cache_dir=cache, cwd=tmp_path)
    return list(csv.DictReader(out.open()))


def _statuses(rows) -> dict:
    return {(r["build_name"], r["build_config"], r["runtime"]): r["status"] for r in rows}


def test_a_deleted_index_is_rebuilt(cache, tmp_path):
    first = _statuses(_report(cache, tmp_path))
    (cache / ".index.sqlite").unlink()
    assert _statuses(_report(cache, tmp_path)) == first
    assert (cache / ".index.sqlite").is_file()


def test_a_damaged_index_is_replaced(cache, tmp_path):
    first = _statuses(_report(cache, tmp_path))
    (cache / ".index.sqlite").write_bytes(b"this is not a database" * 100)
    assert _statuses(_report(cache, tmp_path)) == first
    with sqlite3.connect(cache / ".index.sqlite") as db:
        assert db.execute("select count(*) from builds").fetchone()[0] == len(configs_of(cache))


def test_an_index_of_another_format_is_rebuilt(cache, tmp_path):
    first = _statuses(_report(cache, tmp_path))
    with sqlite3.connect(cache / ".index.sqlite") as db:
        db.execute("update builds set rows = '[{\"status\": \"invented\"}]', cells = 'invented', "
                   "statuses = 'invented'")
        db.execute("update meta set value = 'rows-0' where key = 'format'")
    assert _statuses(_report(cache, tmp_path)) == first


def test_a_writer_killed_mid_update_leaves_the_index_as_it_was(cache, tmp_path):
    first = _statuses(_report(cache, tmp_path))
    # A process that empties the index and dies before committing: SQLite rolls the transaction back.
    code = (f"import os, sqlite3; db = sqlite3.connect({str(cache / '.index.sqlite')!r}); "
            "db.execute('begin'); db.execute('delete from builds'); "
            "db.execute(\"insert into builds (id, fingerprint) values ('x/y', 'z')\"); os._exit(9)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert _statuses(_report(cache, tmp_path)) == first


def test_a_build_changed_behind_the_index_is_read_again(cache, tmp_path):
    _report(cache, tmp_path)  # the index now holds every build
    model, config = next((m, c) for m, c in configs_of(cache) if m == HELLO)
    state_path = cache / model / config / "state.yaml"
    state = yaml.safe_load(state_path.read_text())
    state["build_status"], state["error"] = "failed", "edited by hand"
    state_path.write_text(yaml.safe_dump(state, sort_keys=False))
    rows = [r for r in _report(cache, tmp_path) if r["build_name"] == model and r["build_config"] == config]
    assert rows and all(r["status"] == "failed" and r["error"] == "edited by hand" for r in rows)


def test_a_truncated_model_file_is_damage_in_the_report_and_in_cache_stats(cache, tmp_path):
    _report(cache, tmp_path)
    model, config = next((m, c) for m, c in configs_of(cache) if m == HELLO)
    state = yaml.safe_load((cache / model / config / "state.yaml").read_text())
    onnx = cache / model / config / state["onnx_file"]
    onnx.write_bytes(onnx.read_bytes()[:10])
    rows = [r for r in _report(cache, tmp_path) if r["build_name"] == model and r["build_config"] == config]
    assert rows and all(r["status"] == "benchmarked" and "is damaged" in r["error"] for r in rows), rows
    stats = subprocess.run([sys.executable, "-m", "benchit", "cache", "stats", model, "--cache-dir", str(cache)],
                           capture_output=True, text=True, timeout=60)
    assert stats.returncode == 1 and "is damaged" in stats.stderr


def test_a_listed_model_folder_that_changes_is_listed_again(cache, tmp_path):
    """The index reuses a model folder's listing of build configs while the folder is unchanged: a config added
    or removed behind its back is still found (the folder's mtime moves), even once the listing had settled."""
    model, config = next((m, c) for m, c in configs_of(cache) if m == HELLO)
    past = time.time() - 600
    os.utime(cache / model, (past, past))  # settled: the next report keeps its listing
    _report(cache, tmp_path)
    assert sqlite3.connect(cache / ".index.sqlite").execute(
        "select identity from listings where model = ?", (model,)).fetchone()[0]
    shutil.copytree(cache / model / config, cache / model / "export_only-0000beef")
    configs = {r["build_config"] for r in _report(cache, tmp_path) if r["build_name"] == model}
    assert "export_only-0000beef" in configs and config in configs
    shutil.rmtree(cache / model / "export_only-0000beef")
    assert {r["build_config"] for r in _report(cache, tmp_path) if r["build_name"] == model} == configs - {
        "export_only-0000beef"}
