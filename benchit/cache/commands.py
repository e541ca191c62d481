"""`benchit cache list|stats|delete|clean|location [--cache-dir DIR]`.

Imports only the standard library, PyYAML and filelock: these commands answer instantly.
They act only on build folders directly inside the cache; any other name is refused with one
line saying why, and nothing is touched (all names are checked before the first change).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from benchit.cache.layout import (
    DEFAULT_CACHE_DIR,
    SUPPORTED_STATE_VERSION,
    Build,
    UnsafeBuildName,
    find_build,
    list_builds,
    resolve_cache_dir,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"benchit cache: error: {message} (see `benchit cache --help`)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache-dir", "-d", default=argparse.SUPPRESS,
                        help=f"the cache (default: $BENCHIT_CACHE_DIR, else {DEFAULT_CACHE_DIR})")
    p = _Parser(prog="benchit cache", parents=[common],
                description="Inspect and manage the benchit cache (one folder per build).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("list", parents=[common], help="the builds in the cache")
    stats = sub.add_parser("stats", parents=[common], help="a build's state and stats, as YAML")
    stats.add_argument("builds", nargs="+", metavar="BUILD")
    for name, text in (("delete", "delete builds (permanently)"),
                       ("clean", "remove a build's model files and inputs (what --lean-cache removes); "
                                 "results and logs stay")):
        cmd = sub.add_parser(name, parents=[common], help=text)
        cmd.add_argument("builds", nargs="*", metavar="BUILD")
        cmd.add_argument("--all", action="store_true", help="every build in the cache")
    sub.add_parser("location", parents=[common], help="print where the cache is")
    return p


def _shown(value: str | None) -> str:
    """The cache as the user named it (the tutorial prints `tmp_cache`, `~/.cache/...`)."""
    return value or os.environ.get("BENCHIT_CACHE_DIR") or DEFAULT_CACHE_DIR


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    if not ns.command:
        parser.print_help()
        return 2
    given = getattr(ns, "cache_dir", None)
    cache_dir = resolve_cache_dir(given)
    shown = _shown(given)
    try:
        return COMMANDS[ns.command](ns, cache_dir, shown)
    except BrokenPipeError:  # `benchit cache list | head`
        sys.stderr.close()
        return 0


def _list(ns, cache_dir: Path, shown: str) -> int:
    if not cache_dir.is_dir():
        print(f"Info: No cache at {shown} yet: a benchit run creates it.")
        return 0
    names = list_builds(cache_dir)
    print(f"Info: Builds available in cache {shown}:")
    if not names:
        print("(none)")
    elif sys.stdout.isatty():
        _columns(names)
    else:
        sys.stdout.write("".join(name + "\n" for name in names))
    return 0


def _columns(names: list[str]) -> None:
    width = max(len(n) for n in names) + 5
    per_line = max(1, shutil.get_terminal_size((100, 20)).columns // width)
    for i in range(0, len(names), per_line):
        print("".join(n.ljust(width) for n in names[i:i + per_line]).rstrip())


def _error(message: str) -> None:
    print(f"benchit cache: error: {message}", file=sys.stderr)


def _resolve_all(ns, cache_dir: Path, names: list[str], changes: bool = True) -> list[Build] | None:
    """Every named build, checked before anything changes; None (after one line per problem) if any is refused."""
    builds, refused = [], False
    for name in names:
        try:
            builds.append(find_build(cache_dir, name))
        except UnsafeBuildName as error:
            _error(f"refused: {error}" if changes else str(error))
            refused = True
    if refused:
        if changes:
            _error("nothing was changed")
        return None
    return builds


def _stats(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.files import dump_yaml, read_yaml

    builds = _resolve_all(ns, cache_dir, ns.builds, changes=False)
    if builds is None:
        return 1
    code = 0
    for build in builds:
        print(f"Info: The state of build {build.name} in cache {shown} is:")
        for label, path in (("state", build.state_path), ("stats", build.stats_path)):
            if not path.is_file():
                if label == "state":
                    print(f"Warning: {build.name} has no state file: the build is broken (delete it)", file=sys.stderr)
                    code = 1
                continue
            try:
                data = read_yaml(path)
            except Exception as error:
                print(f"Warning: {path} is not valid YAML ({_first_line(error)}); the build is broken",
                      file=sys.stderr)
                code = 1
                continue
            if label == "state":
                if not isinstance(data, dict):
                    print(f"Warning: {path} is not a benchit state file", file=sys.stderr)
                    code = 1
                    continue
                version = data.get("state_version", 1)
                if isinstance(version, int) and version > SUPPORTED_STATE_VERSION:
                    print(f"Warning: {build.name} was written by a newer benchit (state_version {version}); "
                          "upgrade benchit to read it fully", file=sys.stderr)
                sys.stdout.write(dump_yaml(data))
            elif data:
                sys.stdout.write(dump_yaml({"stats": data}))
    return code


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _targets(ns, cache_dir: Path, verb: str) -> list[Build] | None:
    if ns.all and ns.builds:
        _error("give build names or --all, not both")
        return None
    if not ns.all and not ns.builds:
        _error(f"name the builds to {verb} (see `benchit cache list`), or --all")
        return None
    if ns.all:
        return [Build(cache_dir, name) for name in list_builds(cache_dir)]
    return _resolve_all(ns, cache_dir, ns.builds)


def _delete(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.manage import BuildBusy, delete_build

    builds = _targets(ns, cache_dir, "delete")
    if builds is None:
        return 1
    code = 0
    for build in builds:
        try:
            delete_build(build)
        except (BuildBusy, OSError) as error:
            _error(str(error))
            code = 1
            continue
        print(f"Info: Deleted build {build.name} from cache {shown}")
    if ns.all:
        print(f"Info: {len(builds)} build{'s' if len(builds) != 1 else ''} deleted from cache {shown}")
    return code


def _clean(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.manage import BuildBusy, clean_build

    builds = _targets(ns, cache_dir, "clean")
    if builds is None:
        return 1
    code, total = 0, 0
    for build in builds:
        try:
            freed = clean_build(build)
        except (BuildBusy, OSError, ValueError) as error:
            _error(_first_line(error))
            code = 1
            continue
        total += freed
        print(f"Info: Cleaned build {build.name} in cache {shown} ({_size(freed)} freed; results and logs kept)")
    if ns.all:
        print(f"Info: {len(builds)} build{'s' if len(builds) != 1 else ''} cleaned, {_size(total)} freed")
    return code


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _location(ns, cache_dir: Path, shown: str) -> int:
    print(cache_dir)
    return 0


COMMANDS = {"list": _list, "stats": _stats, "delete": _delete, "clean": _clean, "location": _location}
