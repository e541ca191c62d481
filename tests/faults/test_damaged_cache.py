"""A damaged cache: truncated, zero-byte or changed ONNX, malformed or empty state, missing inputs, a build from a
future benchit, YAML that tries to construct Python objects, inputs that would need pickle. Each is detected (size,
checksum, schema and safe-loading checks), shown by `cache stats` and `report` (exit code, one warning line naming
the damage, and the result measured before the damage still in the report), and rebuilt by the next run, which
also reuses the builds that are intact."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from faultlib import (FAST, HELLO, HELLO_SCRIPT, TINY, both_scripts, build_named, check_cache, no_traceback, records,
                      state, stats)
from benchit.cache.layout import STATE_VERSION
from helpers import build_dir, state_file, stats_file

pytestmark = pytest.mark.slow



def _onnx(cache: Path) -> Path:
    """The model file the benchmark reads (the state names it)."""
    return build_dir(cache) / state(cache)["onnx_file"]


def _truncate(cache):
    data = _onnx(cache).read_bytes()
    _onnx(cache).write_bytes(data[: len(data) // 2])


def _same_size_change(cache):
    data = bytearray(_onnx(cache).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    _onnx(cache).write_bytes(bytes(data))  # an in-place edit or bit rot: the size is unchanged


def _zero(cache):
    _onnx(cache).write_bytes(b"")


def _malformed_state(cache):
    state_file(cache).write_text("build_status: [successful\nconfig: {")


def _empty_state(cache):
    state_file(cache).write_text("")


def _missing_inputs(cache):
    (build_dir(cache) / "inputs.npz").unlink()


def _future_version(cache):
    data = state(cache)
    data["state_version"] = 99
    data["versions"]["benchit"] = "99.0"
    state_file(cache).write_text(yaml.safe_dump(data))


def _pickle_inputs(cache):
    inputs = build_dir(cache) / "inputs.npz"
    np.savez(inputs, x=np.array([{"a": 1}, None], dtype=object))  # needs pickle to load
    data = state(cache)  # the state agrees with the new file: only the no-pickle rule can refuse it
    data["artifact_bytes"]["inputs.npz"] = inputs.stat().st_size
    data["artifact_sha256"]["inputs.npz"] = hashlib.sha256(inputs.read_bytes()).hexdigest()
    state_file(cache).write_text(yaml.safe_dump(data))


# fault -> (damage, the next run's rebuild reason, what `cache stats` shows: (exit code, text of its warning line),
#          what `report` shows for the build: (status, text in its row's error or warnings, or None))
# The report checks what costs nothing per build (sizes, files present, the state); the checksum and the safe
# loading of the inputs are `cache stats`' (one build) and the next run's.
FAULTS = {
    "truncated onnx": (_truncate, "is damaged", (1, f"onnx/{HELLO}.onnx is damaged ("),
                       ("benchmarked", f"onnx/{HELLO}.onnx is damaged (")),
    "zero-byte onnx": (_zero, "is damaged (0 bytes", (1, f"onnx/{HELLO}.onnx is damaged (0 bytes"),
                       ("benchmarked", f"onnx/{HELLO}.onnx is damaged (0 bytes")),
    "same-size change": (_same_size_change, f"onnx/{HELLO}.onnx is damaged (its contents changed",
                         (1, f"onnx/{HELLO}.onnx is damaged (its contents changed"), ("benchmarked", None)),
    "malformed state": (_malformed_state, "unreadable state file", (1, "is not valid YAML"),
                        ("broken", "is not valid YAML")),
    "empty state": (_empty_state, "unreadable state file", (1, "is not a benchit state file"),
                    ("broken", "is not a benchit state file")),
    "missing inputs": (_missing_inputs, "build files are missing", (1, "inputs.npz missing"),
                       ("benchmarked", "inputs.npz is missing")),
    "future version": (_future_version, "newer benchit (state_version 99", (0, "newer benchit (state_version 99)"),
                       ("broken", "newer benchit (state_version 99")),
    "pickle inputs": (_pickle_inputs, "inputs.npz cannot be read safely", (1, "inputs.npz cannot be read safely"),
                      ("benchmarked", None)),
}


def _shown_by_stats(benchit, code: int, text: str) -> None:
    shown = benchit("cache", "stats", HELLO)
    no_traceback(shown)
    assert shown.returncode == code, shown.stdout[-2000:] + shown.stderr
    assert shown.stdout.startswith(f"Info: The state of build {HELLO} in cache "), shown.stdout[:500]
    warnings = [line for line in shown.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("Warning: ") and text in warnings[0], shown.stderr


def _shown_by_report(benchit, out, status: str, text: str | None, measured: float) -> None:
    report = benchit("report", "-o", str(out))
    no_traceback(report)
    assert report.returncode == 0, report.stdout + report.stderr
    (row,) = [row for row in csv.DictReader(out.open()) if row["build_name"] == HELLO]
    assert row["status"] == status, row
    if status == "benchmarked":  # the result measured before the damage is still there
        assert float(row["mean_ms"]) == pytest.approx(measured)
    if text is not None:
        assert text in row["error"] + row["warnings"], row
        lines = [line for line in report.stderr.splitlines() if HELLO in line]
        assert len(lines) == 1 and lines[0].startswith("Warning: ") and text in lines[0], report.stderr


@pytest.mark.parametrize("fault", list(FAULTS))
def test_damaged_build_is_detected_reported_and_rebuilt(benchit, seeded_pair, tmp_path, fault):
    seeded = seeded_pair  # hello_world and tiny, both finished
    damage, reason, (code, stats_text), (status, report_text) = FAULTS[fault]
    args = [*both_scripts(HELLO_SCRIPT, TINY), *FAST]
    tiny = build_named(seeded, "tiny_")
    measured = stats(seeded)["benchmarks"]["x86/ort"]["latency"]["mean_ms"]
    damage(seeded)
    # the damaged build is listed and shown for what it is, never a crash
    listing = benchit("cache", "list")
    assert listing.returncode == 0 and HELLO in listing.stdout.splitlines()
    _shown_by_stats(benchit, code, stats_text)
    _shown_by_report(benchit, tmp_path / "damaged.csv", status, report_text, measured)
    # the next run rebuilds it (saying why) and reuses the intact one
    proc = benchit(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    no_traceback(proc)
    found = records(proc)
    assert found[HELLO]["from_cache"] is False and reason in found[HELLO]["rebuild_reason"], found[HELLO]
    assert found[HELLO]["status"] == "benchmarked"
    assert found[tiny]["from_cache"] is True and found[tiny]["status"] == "benchmarked"
    after = state(seeded)
    assert after["build_status"] == "successful" and after["rebuild_reason"] == found[HELLO]["rebuild_reason"]
    assert after["state_version"] == STATE_VERSION
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])


def test_yaml_that_constructs_python_objects_is_never_loaded(benchit, seeded, tmp_path):
    canary = tmp_path / "pwned"
    payload = f"!!python/object/apply:os.system ['touch {canary}']\n"
    state_file(seeded).write_text(f"build_status: successful\nconfig: {payload}")
    stats_file(seeded).write_text(f"benchmarks: {payload}")
    runs = tmp_path / "sweep"
    (runs / "0").mkdir(parents=True)
    (runs / "0" / "results.json").write_text("{}")
    for command in (["cache", "list"], ["cache", "stats", HELLO], ["report", "-o", str(tmp_path / "r.csv")],
                    ["cache", "clean", HELLO]):
        proc = benchit(*command)
        no_traceback(proc)
        assert not canary.exists(), f"`benchit {' '.join(command)}` constructed a Python object"
    proc = benchit(f"input.script={HELLO_SCRIPT}", *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not canary.exists()
    assert records(proc)[HELLO]["rebuild_reason"].startswith("unreadable state file (")
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])
