"""`benchit cache list|stats|delete|clean|location|reindex [--cache-dir DIR]`.

A build is named as `cache list` prints it: the model's folder (`hello_world_479b1332`: all its build
configs; `cache stats` shows the newest) or one build config (`hello_world_479b1332/default-3fa2c1d0`).
Any other name is refused with one line saying why, and nothing is touched (every name is checked before
the first change). Imports only the standard library, PyYAML and filelock: these commands answer at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from benchit.cache.layout import DEFAULT_CACHE_DIR, STATE_VERSION, config_ids, list_models, resolve_cache_dir
from benchit.cache.names import NamedBuilds, UnsafeBuildName, find_builds
from benchit.commands.parser import OneLineParser, UsageError


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache-dir", "-d", default=argparse.SUPPRESS,
                        help=f"the cache (default: $BENCHIT_CACHE_DIR, else {DEFAULT_CACHE_DIR})")
    p = OneLineParser(prog="benchit cache", parents=[common],
                      description="Inspect and manage the benchit cache (a folder per model, one per build config).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    listing = sub.add_parser("list", parents=[common], help="the builds in the cache")
    listing.add_argument("--configs", "-l", action="store_true", help="one line per build config (MODEL/CONFIG)")
    stats = sub.add_parser("stats", parents=[common], help="a build's state and stats, as YAML")
    stats.add_argument("builds", nargs="+", metavar="BUILD")
    for name, text in (("delete", "delete builds (permanently)"),
                       ("clean", "remove a build's model files and inputs (what --lean-cache removes); "
                                 "results and logs stay")):
        cmd = sub.add_parser(name, parents=[common], help=text)
        cmd.add_argument("builds", nargs="*", metavar="BUILD")
        cmd.add_argument("--all", action="store_true", help="every build in the cache")
    sub.add_parser("location", parents=[common], help="print where the cache is")
    sub.add_parser("reindex", parents=[common], help="rebuild the report's index from the builds' state files")
    return p


def _shown(value: str | None) -> str:
    """The cache as the user named it (the tutorial prints `tmp_cache`, `~/.cache/...`)."""
    return value or os.environ.get("BENCHIT_CACHE_DIR") or DEFAULT_CACHE_DIR


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        ns = parser.parse_args(argv)
    except UsageError as error:
        print(f"benchit cache: error: {error}", file=sys.stderr)
        return 2
    if not ns.command:
        parser.print_help()
        return 2
    given = getattr(ns, "cache_dir", None)
    try:
        return COMMANDS[ns.command](ns, resolve_cache_dir(given), _shown(given))
    except BrokenPipeError:  # `benchit cache list | head`
        sys.stderr.close()
        return 0


def _error(message: str) -> None:
    print(f"benchit cache: error: {message}", file=sys.stderr)


def _list(ns, cache_dir: Path, shown: str) -> int:
    if not cache_dir.is_dir():
        print(f"Info: No cache at {shown} yet: a benchit run creates it.")
        return 0
    names = list_models(cache_dir)
    if ns.configs:
        names = [f"{name}/{config}" for name in names for config in config_ids(cache_dir / name)] or names
    print(f"Info: Builds available in cache {shown}:")
    if not names:
        print("(none)")
    elif sys.stdout.isatty():
        width = max(len(n) for n in names) + 5
        per_line = max(1, shutil.get_terminal_size((100, 20)).columns // width)
        for i in range(0, len(names), per_line):
            print("".join(n.ljust(width) for n in names[i:i + per_line]).rstrip())
    else:
        sys.stdout.write("".join(name + "\n" for name in names))
    return 0


def _resolve_all(cache_dir: Path, names: list[str], changes: bool = True) -> list[NamedBuilds] | None:
    """Every named build, checked before anything changes; None (after one line per problem) if any is refused."""
    found, refused = [], False
    for name in names:
        try:
            found.append(find_builds(cache_dir, name))
        except UnsafeBuildName as error:
            _error(f"refused: {error}; nothing was changed" if changes else str(error))
            refused = True
    if refused:
        return None
    return found


def _stats(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.files import dump_yaml
    from benchit.cache.layout import read_data

    named_all = _resolve_all(cache_dir, ns.builds, changes=False)
    if named_all is None:
        return 1
    code = 0
    for named in named_all:
        if not named.builds:
            print(f"Warning: {named.name} was written by an older benchit (state_version 1); run its script again "
                  "to rebuild it, or delete it", file=sys.stderr)
            code = 1
            continue
        build = named.builds[0]  # the newest build config (the tutorial's "the state of build NAME")
        print(f"Info: The state of build {named.name} in cache {shown} is:")
        try:
            state = read_data(build.state_path)
            version = state.get("state_version", 1) if isinstance(state, dict) else None
            if isinstance(version, int) and version > STATE_VERSION:  # show what it holds, as it is
                print(f"Warning: {build.id} was written by a newer benchit (state_version {version}); upgrade "
                      "benchit to read it fully", file=sys.stderr)
            else:
                build.load_state()  # typed: says why when it is not a state this benchit reads
        except FileNotFoundError:
            print(f"Warning: {build.id} has no state file: the build is broken (delete it)", file=sys.stderr)
            code = 1
            continue
        except ValueError as error:
            print(f"Warning: {build.id}: {error}; the build is broken (delete it)", file=sys.stderr)
            code = 1
            continue
        sys.stdout.write(dump_yaml(state))
        if state.get("build_status") in ("running", "not_started"):
            from benchit.cache.manage import in_use

            print(f"Warning: {build.id}: " + ("another benchit process is building it right now" if in_use(build)
                  else f"interrupted during {state.get('current_stage') or 'start-up'} (no benchit process holds "
                       "it); the next run rebuilds it"), file=sys.stderr)
        damage = _damage(build)
        if damage:
            print(f"Warning: {build.id}: {damage}; the next run rebuilds it", file=sys.stderr)
            code = 1
        try:
            stats = read_data(build.stats_path) if build.stats_path.is_file() else None
        except ValueError as error:
            print(f"Warning: {build.id}: {error}; the build is broken", file=sys.stderr)
            code = 1
            stats = None
        if stats:
            sys.stdout.write(dump_yaml({"stats": stats}))
        others = named.builds[1:]
        if others:
            print(f"Info: {named.name} has {len(named.builds)} build configs; shown: {build.config_id} (the newest). "
                  f"Others: {', '.join(b.config_id for b in others)} (benchit cache stats {named.name}/CONFIG)")
    return code


def _damage(build) -> str | None:
    """Whether the files a finished build claims are what it wrote (a truncated or edited model file)."""
    from benchit.cache.integrity import damaged_file

    try:
        state = build.load_state()
    except Exception:  # noqa: BLE001 - reported above
        return None
    if not state.build_status.usable or state.lean or not state.onnx_file:  # a framework build holds no file
        return None
    from benchit.build.reuse import load_inputs

    problem = damaged_file(build, state)
    inputs = load_inputs(build) if problem is None else None
    return inputs if isinstance(inputs, str) else problem  # the inputs a reuse would feed, read as it would


def _targets(ns, cache_dir: Path, verb: str) -> list[NamedBuilds] | None:
    if ns.all and ns.builds:
        _error("give build names or --all, not both")
        return None
    if not ns.all and not ns.builds:
        _error(f"name the builds to {verb} (see `benchit cache list`), or --all")
        return None
    return _resolve_all(cache_dir, list_models(cache_dir) if ns.all else ns.builds)


def _delete(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.manage import BuildBusy, delete

    targets = _targets(ns, cache_dir, "delete")
    if targets is None:
        return 1
    code = 0
    for named in targets:
        try:
            delete(named)
        except (BuildBusy, OSError) as error:
            _error(str(error))
            code = 1
            continue
        print(f"Info: Deleted build {named.name} from cache {shown}")
    if ns.all:
        print(f"Info: {len(targets)} build{'s' if len(targets) != 1 else ''} deleted from cache {shown}")
    return code


def _clean(ns, cache_dir: Path, shown: str) -> int:
    from benchit.cache.manage import BuildBusy, clean_build
    from benchit.errors import one_line

    targets = _targets(ns, cache_dir, "clean")
    if targets is None:
        return 1
    code, total = 0, 0
    for named in targets:
        freed = 0
        for build in named.builds:
            try:
                freed += clean_build(build)
            except (BuildBusy, OSError, ValueError) as error:
                _error(f"{build.id}: {one_line(error).split(': ', 1)[-1]}; delete the build instead"
                       if isinstance(error, ValueError) else one_line(error).split(": ", 1)[-1])
                code = 1
        total += freed
        print(f"Info: Cleaned build {named.name} in cache {shown} ({_size(freed)} freed; results and logs kept)")
    if ns.all:
        print(f"Info: {len(targets)} build{'s' if len(targets) != 1 else ''} cleaned, {_size(total)} freed")
    return code


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _location(ns, cache_dir: Path, shown: str) -> int:
    print(cache_dir)
    return 0


def _reindex(ns, cache_dir: Path, shown: str) -> int:
    from benchit.report.index import reindex

    if not cache_dir.is_dir():
        print(f"Info: No cache at {shown} yet: a benchit run creates it.")
        return 0
    scan = reindex(cache_dir)
    print(f"Info: Indexed {scan.builds} build config{'s' if scan.builds != 1 else ''} of {scan.models} model"
          f"{'s' if scan.models != 1 else ''} in cache {shown}")
    return 0


COMMANDS = {"list": _list, "stats": _stats, "delete": _delete, "clean": _clean, "location": _location,
            "reindex": _reindex}
