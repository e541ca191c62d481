"""A damaged cache: truncated, zero-byte or changed ONNX, malformed or empty state, missing inputs, a build from a
future benchit, YAML that tries to construct Python objects, inputs that would need pickle. Each is detected (size,
checksum, schema and safe-loading checks), shown by `cache stats`/`report` without a crash, and rebuilt by the next
run, which also reuses the builds that are intact."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from faultlib import (FAST, HELLO, HELLO_SCRIPT, TINY, both_scripts, build_named, check_cache, no_traceback, records,
                      state)

pytestmark = pytest.mark.slow

ONNX = f"{HELLO}/onnx/{HELLO}.onnx"
STATE = f"{HELLO}/{HELLO}_state.yaml"


def _truncate(cache):
    data = (cache / ONNX).read_bytes()
    (cache / ONNX).write_bytes(data[: len(data) // 2])


def _same_size_change(cache):
    data = bytearray((cache / ONNX).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    (cache / ONNX).write_bytes(bytes(data))  # an in-place edit or bit rot: the size is unchanged


def _zero(cache):
    (cache / ONNX).write_bytes(b"")


def _malformed_state(cache):
    (cache / STATE).write_text("build_status: [successful\nconfig: {")


def _empty_state(cache):
    (cache / STATE).write_text("")


def _missing_inputs(cache):
    (cache / HELLO / "inputs.npz").unlink()


def _future_version(cache):
    data = state(cache)
    data["state_version"] = 99
    data["versions"]["benchit"] = "99.0"
    (cache / STATE).write_text(yaml.safe_dump(data))


def _pickle_inputs(cache):
    inputs = cache / HELLO / "inputs.npz"
    np.savez(inputs, x=np.array([{"a": 1}, None], dtype=object))  # needs pickle to load
    data = state(cache)  # the state agrees with the new file: only the no-pickle rule can refuse it
    data["artifact_bytes"]["inputs.npz"] = inputs.stat().st_size
    data["artifact_sha256"]["inputs.npz"] = hashlib.sha256(inputs.read_bytes()).hexdigest()
    (cache / STATE).write_text(yaml.safe_dump(data))


FAULTS = {
    "truncated onnx": (_truncate, "is damaged"),
    "zero-byte onnx": (_zero, "is damaged (0 bytes"),
    "same-size change": (_same_size_change, f"onnx/{HELLO}.onnx is damaged (its contents changed"),
    "malformed state": (_malformed_state, "unreadable state file"),
    "empty state": (_empty_state, "unreadable state file"),
    "missing inputs": (_missing_inputs, "build files are missing"),
    "future version": (_future_version, "newer benchit (state_version 99"),
    "pickle inputs": (_pickle_inputs, "inputs.npz cannot be read safely"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_damaged_build_is_detected_reported_and_rebuilt(benchit, seeded_pair, tmp_path, fault):
    seeded = seeded_pair  # hello_world and tiny, both finished
    damage, reason = FAULTS[fault]
    args = [*both_scripts(HELLO_SCRIPT, TINY), *FAST]
    tiny = build_named(seeded, "tiny_")
    damage(seeded)
    # the damaged build is reported, never a crash
    listing = benchit("cache", "list")
    assert listing.returncode == 0 and HELLO in listing.stdout
    shown = benchit("cache", "stats", HELLO)
    no_traceback(shown, benchit("report", "-o", str(tmp_path / "damaged.csv")))
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
    assert after["state_version"] == 1
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO, tiny])


def test_yaml_that_constructs_python_objects_is_never_loaded(benchit, seeded, tmp_path):
    canary = tmp_path / "pwned"
    payload = f"!!python/object/apply:os.system ['touch {canary}']\n"
    (seeded / STATE).write_text(f"build_status: successful\nconfig: {payload}")
    (seeded / HELLO / f"{HELLO}_stats.yaml").write_text(f"benchmarks: {payload}")
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
    assert records(proc)[HELLO]["rebuild_reason"] == "unreadable state file"
    check_cache(benchit, seeded, tmp_path, benchmarked=[HELLO])
