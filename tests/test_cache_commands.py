"""`benchit cache list|stats|delete|clean|location`: output, safety (hostile names), no heavy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from repo_paths import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from cache_report import build_files, make_cache, write_build  # noqa: E402

HEAVY = ("torch", "tensorflow", "keras", "onnx", "onnxruntime", "hydra", "omegaconf", "matplotlib")


def _snapshot(*roots: Path) -> dict[str, tuple]:
    """Every path under the roots with its type, size and mtime (links not followed)."""
    seen = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                seen[path] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture
def cache(cache_dir) -> Path:
    make_cache(cache_dir, 4, failed_every=4)  # model0003 failed
    (cache_dir / "runs" / "2026-01-01_00-00-00_abcdef").mkdir(parents=True)
    (cache_dir / "labels").mkdir()
    (cache_dir / "not_a_build").mkdir()
    (cache_dir / "not_a_build" / "notes.txt").write_text("mine")
    (cache_dir / "stray_file.txt").write_text("x")
    return cache_dir


def _builds(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir() if p.name.startswith("model"))


def test_list_prints_the_tutorial_header_and_only_builds(benchit, cache):
    proc = benchit("cache", "list", check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Info: Builds available in cache {cache}:"
    assert lines[1:] == _builds(cache)
    for other in ("runs", "labels", "not_a_build", "stray_file.txt", ".locks"):
        assert other not in proc.stdout


def test_list_with_cache_dir_names_the_cache_as_given(benchit, tmp_path):
    make_cache(tmp_path / "tmp_cache", 2)
    proc = benchit("cache", "list", "--cache-dir", "tmp_cache", check=True)
    assert proc.stdout.splitlines()[0] == "Info: Builds available in cache tmp_cache:"
    assert len(proc.stdout.splitlines()) == 3
    # the option also goes before the command
    assert benchit("cache", "--cache-dir", "tmp_cache", "list", check=True).stdout == proc.stdout


def test_list_of_a_missing_or_empty_cache(benchit, tmp_path):
    proc = benchit("cache", "list", "--cache-dir", "nowhere", check=True)
    assert "No cache at nowhere" in proc.stdout
    (tmp_path / "empty").mkdir()
    proc = benchit("cache", "list", "--cache-dir", "empty", check=True)
    assert proc.stdout.splitlines() == ["Info: Builds available in cache empty:", "(none)"]


def test_stats_prints_state_and_stats_as_yaml(benchit, cache):
    name = _builds(cache)[0]
    proc = benchit("cache", "stats", name, check=True)
    header, _, body = proc.stdout.partition("\n")
    assert header == f"Info: The state of build {name} in cache {cache} is:"
    data = yaml.safe_load(body)
    assert data["build_name"] == name
    assert data["build_status"] == "successful"
    assert data["config"]["sequence"] == ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]
    assert data["stats"]["benchmarks"]["x86/ort"]["mean_ms"] > 0


def test_stats_of_a_broken_build_warns_without_crashing(benchit, cache):
    name = _builds(cache)[1]
    (cache / name / f"{name}_state.yaml").write_text("build_status: [unclosed\n  - : :")
    proc = benchit("cache", "stats", name)
    assert proc.returncode == 1
    assert "not valid YAML" in proc.stderr and "Traceback" not in proc.stderr
    assert f"Info: The state of build {name}" in proc.stdout


def test_stats_of_a_build_from_a_newer_benchit_warns(benchit, cache):
    name = _builds(cache)[0]
    state, stats = build_files(name, script="/x.py", model_hash="abcd1234", params=1, state_version=99)
    write_build(cache, name, state, stats)
    proc = benchit("cache", "stats", name, check=True)
    assert "newer benchit (state_version 99)" in proc.stderr


def test_delete_one_build_and_all(benchit, cache):
    names = _builds(cache)
    proc = benchit("cache", "delete", names[0], check=True)
    assert f"Info: Deleted build {names[0]} from cache" in proc.stdout
    assert _builds(cache) == names[1:]
    proc = benchit("cache", "delete", "--all", check=True)
    assert "3 builds deleted" in proc.stdout
    assert _builds(cache) == []
    # what is not a build stays
    assert (cache / "runs").is_dir() and (cache / "labels").is_dir()
    assert (cache / "not_a_build" / "notes.txt").read_text() == "mine"
    assert (cache / "stray_file.txt").exists()


def test_clean_removes_what_lean_cache_removes_and_keeps_results(benchit, cache):
    name = _builds(cache)[0]
    build = cache / name
    assert (build / "onnx").is_dir() and (build / "inputs.npz").exists()
    proc = benchit("cache", "clean", name, check=True)
    assert f"Info: Cleaned build {name}" in proc.stdout and "freed" in proc.stdout
    assert not (build / "onnx").exists() and not (build / "inputs.npz").exists()
    assert (build / "log_export_pytorch.txt").exists()
    state = yaml.safe_load((build / f"{name}_state.yaml").read_text())
    assert state["lean"] is True
    assert not any(a.startswith("onnx/") or a == "inputs.npz" for a in state["artifacts"])
    stats = yaml.safe_load((build / f"{name}_stats.yaml").read_text())
    assert stats["benchmarks"]["x86/ort"]["mean_ms"] > 0
    proc = benchit("cache", "clean", "--all", check=True)
    assert "4 builds cleaned" in proc.stdout
    assert not any((cache / n / "onnx").exists() for n in _builds(cache))


def test_location(benchit, cache, tmp_path):
    assert benchit("cache", "location", check=True).stdout.strip() == str(cache)
    proc = benchit("cache", "location", "--cache-dir", "rel_cache", check=True)
    assert proc.stdout.strip() == str(tmp_path / "rel_cache")


@pytest.mark.parametrize("command", ["delete", "clean", "stats"])
@pytest.mark.parametrize("make_name", [
    "dotdot", "dotdot_inside", "absolute_outside", "absolute_build", "symlink_out", "symlink_in", "not_a_build",
    "reserved_runs", "reserved_locks", "slash", "dot", "tilde", "very_long", "missing", "file",
])
def test_hostile_names_are_refused_and_nothing_is_touched(benchit, cache, tmp_path, command, make_name):
    outside = tmp_path / "outside"
    decoy = "decoy_12345678"
    # a folder outside the cache that looks exactly like a build
    write_build(outside, decoy, *build_files(decoy, script="/x.py", model_hash="12345678", params=1))
    target = outside / decoy
    builds = _builds(cache)
    names = {
        "dotdot": f"../outside/{decoy}",
        "dotdot_inside": f"{builds[0]}/..",
        "absolute_outside": str(target),
        "absolute_build": str(cache / builds[0]),
        "symlink_out": "linked_build",
        "symlink_in": "alias",
        "not_a_build": "not_a_build",
        "reserved_runs": "runs",
        "reserved_locks": ".locks",
        "slash": f"{builds[0]}/onnx",
        "dot": ".",
        "tilde": "~",
        "very_long": "m" * 5000,
        "missing": "model9999_00000000",
        "file": "stray_file.txt",
    }
    (cache / "linked_build").symlink_to(target, target_is_directory=True)
    (cache / "alias").symlink_to(cache / builds[0], target_is_directory=True)
    before = _snapshot(cache, outside)
    proc = benchit("cache", command, names[make_name])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    if command == "stats":  # reads only: one line saying why, no talk of changes
        assert len(proc.stderr.strip().splitlines()) == 1 and "nothing was changed" not in proc.stderr
    else:
        assert "refused" in proc.stderr and "nothing was changed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _snapshot(cache, outside) == before


def test_one_bad_name_among_good_ones_changes_nothing(benchit, cache):
    names = _builds(cache)
    before = _snapshot(cache)
    proc = benchit("cache", "delete", names[0], "../etc", names[1])
    assert proc.returncode == 1
    assert _snapshot(cache) == before


def test_nul_in_a_name_is_refused(cache, capsys):
    """argv cannot carry a NUL, the Python entry point can: same check."""
    from benchit.cache.commands import main

    before = _snapshot(cache)
    assert main(["delete", "--cache-dir", str(cache), _builds(cache)[0] + "\0../x"]) == 1
    assert "NUL" in capsys.readouterr().err
    assert _snapshot(cache) == before


def test_a_build_in_use_is_not_deleted(benchit, cache):
    from benchit.cache.files import build_lock

    name = _builds(cache)[0]
    with build_lock(cache / name):
        proc = benchit("cache", "delete", name)
        assert proc.returncode == 1
        assert "another benchit process" in proc.stderr
        assert (cache / name).is_dir()
    benchit("cache", "delete", name, check=True)
    assert not (cache / name).exists()


@pytest.mark.parametrize("args, message", [
    (["delete"], "name the builds to delete"),
    (["clean"], "name the builds to clean"),
    (["delete", "x", "--all"], "not both"),
])
def test_usage_errors(benchit, cache, args, message):
    proc = benchit("cache", *args)
    assert proc.returncode == 1 and message in proc.stderr


def test_unknown_command_is_a_usage_error(benchit):
    proc = benchit("cache", "frobnicate")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_cache_commands_import_nothing_heavy(cache):
    code = (
        "import sys, io, contextlib\n"
        "from benchit.cli import main\n"
        f"d = {str(cache)!r}\n"
        "name = sorted(n for n in __import__('os').listdir(d) if n.startswith('model'))[0]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for argv in (['cache','list','--cache-dir',d], ['cache','stats',name,'--cache-dir',d],\n"
        "                 ['cache','location'], ['cache','clean',name,'--cache-dir',d],\n"
        "                 ['cache','delete',name,'--cache-dir',d]):\n"
        "        assert main(argv) == 0, argv\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
