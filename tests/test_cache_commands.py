"""`benchit cache list|stats|delete|clean|location`: output, safety (hostile names), no heavy imports.

The cache is a copy of `hello_built` (tests/conftest.py: real builds of hello_world and two_models made by the
real CLI), plus what else a user's cache folder may hold: run folders, a folder of their own, a stray file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import HELLO, HELLO_BUILDS, build_dir, copy_cache, snapshot, state, state_file, stats

HEAVY = ("torch", "tensorflow", "keras", "onnx", "onnxruntime", "hydra", "omegaconf", "matplotlib")
NOT_BUILDS = ("runs", "labels", "not_a_build", "stray_file.txt", ".locks")


@pytest.fixture
def cache(hello_cache) -> Path:
    (hello_cache / "runs" / "2026-01-01_00-00-00_abcdef").mkdir(parents=True)
    (hello_cache / "labels").mkdir()
    (hello_cache / "not_a_build").mkdir()
    (hello_cache / "not_a_build" / "notes.txt").write_text("mine")
    (hello_cache / "stray_file.txt").write_text("x")
    return hello_cache


def _present(cache: Path) -> list[str]:
    return [name for name in HELLO_BUILDS if build_dir(cache, name).exists()]


def _cache_main(*argv: str) -> int:
    from benchit.cli import main  # the console script's entry point, in-process (argv cannot carry a NUL)

    return main(list(argv))


def test_list_prints_the_tutorial_header_and_only_builds(benchit, cache):
    proc = benchit("cache", "list", check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Info: Builds available in cache {cache}:"
    assert lines[1:] == HELLO_BUILDS
    for other in NOT_BUILDS:
        assert other not in proc.stdout


def test_list_with_cache_dir_names_the_cache_as_given(benchit, hello_built, tmp_path):
    copy_cache(hello_built, tmp_path / "tmp_cache")
    proc = benchit("cache", "list", "--cache-dir", "tmp_cache", check=True)
    assert proc.stdout.splitlines() == ["Info: Builds available in cache tmp_cache:", *HELLO_BUILDS]
    # the option also goes before the command
    assert benchit("cache", "--cache-dir", "tmp_cache", "list", check=True).stdout == proc.stdout


def test_list_of_a_missing_or_empty_cache(benchit, tmp_path):
    proc = benchit("cache", "list", "--cache-dir", "nowhere", check=True)
    assert "No cache at nowhere" in proc.stdout
    (tmp_path / "empty").mkdir()
    proc = benchit("cache", "list", "--cache-dir", "empty", check=True)
    assert proc.stdout.splitlines() == ["Info: Builds available in cache empty:", "(none)"]


def test_stats_prints_state_and_stats_as_yaml(benchit, cache):
    proc = benchit("cache", "stats", HELLO, check=True)
    header, _, body = proc.stdout.partition("\n")
    assert header == f"Info: The state of build {HELLO} in cache {cache} is:"
    data = yaml.safe_load(body)
    assert data["build_name"] == HELLO and data["build_status"] == "successful"
    assert data["config"]["sequence"] == ["export_pytorch", "optimize_onnx", "fp16_conversion", "set_success"]
    # what the build's files hold, read here with PyYAML: the state, then its stats under `stats`
    assert {k: v for k, v in data.items() if k != "stats"} == state(cache, HELLO)
    assert data["stats"] == stats(cache, HELLO) and data["stats"]["benchmarks"]["x86/ort"]["latency"]["mean_ms"] > 0
    assert proc.stderr == ""


def test_stats_of_a_broken_build_warns_without_crashing(benchit, cache):
    name = HELLO_BUILDS[1]
    state_file(cache, name).write_text("build_status: [unclosed\n  - : :")  # damaged by hand
    proc = benchit("cache", "stats", name)
    assert proc.returncode == 1
    assert "not valid YAML" in proc.stderr and "Traceback" not in proc.stderr
    assert f"Info: The state of build {name}" in proc.stdout


def test_stats_of_a_build_from_a_newer_benchit_warns(benchit, cache):
    data = state(cache, HELLO)
    data["state_version"] = 99  # as a newer benchit would write it
    state_file(cache, HELLO).write_text(yaml.safe_dump(data))
    proc = benchit("cache", "stats", HELLO, check=True)
    assert "newer benchit (state_version 99)" in proc.stderr


def test_delete_one_build_and_all(benchit, cache):
    proc = benchit("cache", "delete", HELLO, check=True)
    assert f"Info: Deleted build {HELLO} from cache" in proc.stdout
    assert _present(cache) == HELLO_BUILDS[1:]
    proc = benchit("cache", "delete", "--all", check=True)
    assert "2 builds deleted" in proc.stdout
    assert _present(cache) == []
    assert benchit("cache", "list", check=True).stdout.splitlines()[1:] == ["(none)"]
    # what is not a build stays
    assert (cache / "runs").is_dir() and (cache / "labels").is_dir()
    assert (cache / "not_a_build" / "notes.txt").read_text() == "mine"
    assert (cache / "stray_file.txt").exists()


def test_clean_removes_what_lean_cache_removes_and_keeps_results(benchit, cache):
    build = build_dir(cache, HELLO)
    before = state(cache, HELLO)
    heavy = [a for a in before["artifacts"] if a.startswith("onnx/") or a == "inputs.npz"]
    assert heavy and all((build / a).is_file() for a in heavy)
    proc = benchit("cache", "clean", HELLO, check=True)
    assert f"Info: Cleaned build {HELLO}" in proc.stdout and "freed" in proc.stdout
    assert not any((build / a).exists() for a in heavy) and not (build / "onnx").exists()
    assert (build / "log_export_pytorch.txt").exists()
    after = state(cache, HELLO)
    assert after["lean"] is True and sorted(after["lean_deleted"]) == sorted(heavy)
    assert all((build / a).exists() for a in after["artifacts"]), "the state claims a deleted file"
    assert stats(cache, HELLO)["benchmarks"]["x86/ort"]["latency"]["mean_ms"] > 0
    proc = benchit("cache", "clean", "--all", check=True)
    assert "3 builds cleaned" in proc.stdout
    assert not any((build_dir(cache, n) / "onnx").exists() for n in HELLO_BUILDS)


def test_location(benchit, cache, tmp_path):
    assert benchit("cache", "location", check=True).stdout.strip() == str(cache)
    proc = benchit("cache", "location", "--cache-dir", "rel_cache", check=True)
    assert proc.stdout.strip() == str(tmp_path / "rel_cache")


def _hostile_names(cache: Path, outside: Path) -> dict[str, str]:
    decoy = outside / HELLO  # a folder outside the cache that is exactly a build
    shutil.copytree(build_dir(cache, HELLO), decoy, symlinks=True)
    (cache / "linked_build").symlink_to(decoy, target_is_directory=True)
    (cache / "alias").symlink_to(build_dir(cache, HELLO), target_is_directory=True)
    return {
        "dotdot": "..", "dotdot_out": f"../outside/{HELLO}", "dotdot_inside": f"{HELLO}/..",
        "dotdot_twice": f"{HELLO}/../..", "absolute_outside": str(decoy), "absolute_build": str(build_dir(cache)),
        "absolute_etc": "/etc", "symlink_out": "linked_build", "symlink_in": "alias", "not_a_build": "not_a_build",
        "reserved_runs": "runs", "reserved_locks": ".locks", "slash": f"{HELLO}/onnx", "a_slash_b": "a/b",
        "dot": ".", "tilde": "~", "long": "x" * 300, "very_long": "m" * 5000, "missing": "model9999_00000000",
        "file": "stray_file.txt", "shell_list": f"{HELLO} ; rm -rf ~", "shell_subst": "$(touch pwned)",
        "nul": f"{HELLO}\0../x",
    }


@pytest.mark.parametrize("command", ["delete", "clean", "stats"])
def test_hostile_names_are_refused_and_nothing_is_touched(cache, tmp_path, monkeypatch, capsys, command):
    """Every name that is not a build folder directly inside the cache is refused with one line; nothing in the
    cache or outside it changes (modes, sizes and times of every path)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    names = _hostile_names(cache, outside)
    monkeypatch.chdir(cache)  # relative names must not be read from the working directory either
    before = snapshot(cache, outside)
    for kind, name in names.items():
        assert _cache_main("cache", command, name, "--cache-dir", str(cache)) == 1, kind
        lines = capsys.readouterr().err.strip().splitlines()
        # one clear line: why, and (for a command that changes things) that nothing was changed
        assert len(lines) == 1 and lines[0].startswith("benchit cache: error: "), (kind, lines)
        if command == "stats":  # reads only: no talk of changes
            assert "nothing was changed" not in lines[0], kind
        else:
            assert "refused" in lines[0] and "nothing was changed" in lines[0], (kind, lines)
        if kind == "nul":
            assert "NUL" in lines[0]
    assert snapshot(cache, outside) == before
    assert (outside / "precious.txt").read_text() == "keep me" and not (cache / "pwned").exists()


@pytest.mark.parametrize("command", ["delete", "clean", "stats"])
def test_a_hostile_name_on_the_command_line_is_one_line(benchit, cache, tmp_path, command):
    """The same through the console script, with names a shell would act on."""
    before = snapshot(cache)
    for name in ("../etc", f"{HELLO} ; rm -rf ~", "$(touch pwned)"):
        proc = benchit("cache", command, name)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("benchit cache: error: "), proc.stderr
    assert snapshot(cache) == before and not (tmp_path / "pwned").exists()


def test_one_bad_name_among_good_ones_changes_nothing(benchit, cache):
    before = snapshot(cache)
    proc = benchit("cache", "delete", HELLO_BUILDS[0], "../etc", HELLO_BUILDS[1])
    assert proc.returncode == 1 and "nothing was changed" in proc.stderr
    assert snapshot(cache) == before


def test_a_build_in_use_is_not_deleted(benchit, cache):
    from benchit.cache.files import build_lock  # what a running build holds
    from benchit.cache.layout import Build

    with build_lock(Build(cache, HELLO, build_dir(cache, HELLO).name)):
        proc = benchit("cache", "delete", HELLO)
        assert proc.returncode == 1
        assert "another benchit process" in proc.stderr
        assert build_dir(cache, HELLO).is_dir()
    benchit("cache", "delete", HELLO, check=True)
    assert not build_dir(cache, HELLO).exists()


@pytest.mark.parametrize("args, message", [
    (["delete"], "name the builds to delete"),
    (["clean"], "name the builds to clean"),
    (["delete", "x", "--all"], "not both"),
])
def test_usage_errors(benchit, cache, args, message):
    before = snapshot(cache)
    proc = benchit("cache", *args)
    assert proc.returncode == 1 and message in proc.stderr
    assert snapshot(cache) == before


def test_unknown_command_is_a_usage_error(benchit):
    proc = benchit("cache", "frobnicate")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_cache_commands_import_nothing_heavy(cache):
    code = (
        "import sys, io, contextlib\n"
        "from benchit.cli import main\n"
        f"d, name = {str(cache)!r}, {HELLO!r}\n"
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
    assert not build_dir(cache, HELLO).exists()
