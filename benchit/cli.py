"""The `benchit` command: one console script, two forms of a run, and the commands that are not runs.

    benchit [HYDRA OVERRIDES...]                   the Hydra form: benchit input=two_models device=x86
    benchit -m device=x86,nvidia sequence=...      a multirun (sweep)
    benchit [benchmark] SCRIPT.py[::HASH,...] [FLAGS]   the tutorial's form, translated into overrides
    benchit cache list|stats|delete|clean|location     benchit report     benchit version

This module imports nothing heavy: `--help`, `version`, `cache` and `report` answer instantly, and
Hydra is imported only when a run starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchit.commands.parser import OneLineParser, UsageError, flag_suggestion
from benchit.config.groups import GROUPS, check_group_options, config_dirs_in, group_options
from benchit.errors import EXIT_USAGE
from benchit.config.overrides import hydra_quote, hydra_value, to_overrides

HELP = """\
benchit: discover the PyTorch and Keras models a Python script calls, build them through a
sequence of stages (export to ONNX, optimize, float16, ...) and benchmark them on a device.

Usage, Hydra form (the primary one; every key of the config can be overridden):
  benchit                                   hello_world on the x86 CPU (the default config)
  benchit input=two_models device=x86       pick options of config groups
  benchit input.script=path/to/script.py    any script of yours
  benchit -m device=x86,nvidia sequence=default,export_only    a sweep: every combination
  benchit +experiment=fp32_vs_fp16          a checked-in study
  benchit -m hydra/launcher=two_phase ...   build every job in parallel, then benchmark one at a time
                                            (also: hydra/launcher=joblib, submitit_local, submitit_slurm)
  benchit --cfg job                         print the composed config and exit
  benchit --config-dir my_conf device=my_device                 add your own config options

Usage, tutorial form (translated into the same overrides, the same run):
  benchit [benchmark] SCRIPT.py[::HASH[,HASH...]] [SCRIPT.py ...] [flags] [key=value ...]
    --device NAME          device=NAME                --runtime NAME       device.runtime=NAME
    --cache-dir DIR        cache.dir=DIR              --lean-cache         cache.lean=true
    --rebuild POLICY       cache.rebuild=POLICY (if_needed, always, never)
    --sequence NAME        sequence=NAME              --sequence-file F    sequence.file=F
    --build-only           mode=build                 --analyze-only       mode=analyze
    --max-depth N          max_depth=N                --script-args "..."  input.script_args="..."
    --batch-size N         batch_size=N: re-batch every model's inputs to N samples (a build config each)
    -s, --search-dir DIR   look for SCRIPT in DIR     --all                every script in the search dir
    --timeout SECONDS      timeout=SECONDS            --labels K::V ...    input.labels=[K::V,...]
    --verbose              full tracebacks on the console
    --resume               resume=true: skip scripts already done with the same config

Other commands:
  benchit cache list|stats|delete|clean|location [--cache-dir DIR]   inspect and manage the cache
  benchit report [--cache-dir DIR ...] [-o FILE] [--plot] [--labels K::V]   a CSV of every build's results
  benchit report SWEEP_DIR                       (re)write a sweep's summary.csv from its jobs' results
  benchit version

Config groups (options shipped in conf/; add your own with --config-dir):
{groups}
Top-level keys: mode (analyze | build | benchmark), max_depth, batch_size, timeout, verbose, resume.
The cache: cache.dir, else $BENCHIT_CACHE_DIR, else ~/.cache/benchit.
Each run's config and results go to <cache>/runs/<time>_<id>/ (sweeps: <cache>/sweeps/...); the path is printed.
Docs: docs/ in the repository (getting started, configuration, ...). Hydra's own help: benchit --hydra-help
"""


def print_help(config_dirs: tuple[Path, ...] = ()) -> None:
    rows = []
    for group in GROUPS:
        options = group_options(group, config_dirs)
        prefix = "+" if group == "experiment" else ""
        rows.append(f"  {prefix}{group + '=':<12}{', '.join(options) or '(none)'}")
    print(HELP.format(groups="\n".join(rows)))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    code = _dispatch(argv)
    sys.stdout.flush()
    return code


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] == "version" or argv == ["--version"]:
        from benchit.version import __version__

        print(f"benchit {__version__}")
        return 0
    if argv and argv[0] == "cache":
        from benchit.commands.cache import main as cache_main

        return cache_main(argv[1:])
    if argv and argv[0] == "report":
        from benchit.commands.report import main as report_main

        return report_main(argv[1:])
    if argv and argv[0] in ("-h", "--help", "help"):
        print_help(config_dirs_in(argv))
        return 0
    if argv and (argv[0] == "benchmark" or _looks_like_script(argv[0]) or _has_tutorial_flag(argv)):
        try:
            overrides = translate_tutorial_args(argv[1:] if argv[0] == "benchmark" else argv,
                                                need_script=argv[0] == "benchmark")
        except UsageError as error:
            print(f"benchit: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        return _run(overrides)
    return _run(argv)


# Hydra's own command-line flags (hydra/_internal/utils.py get_args_parser), so that anything else
# is one clear line here instead of Hydra's whole usage text.
HYDRA_FLAGS = {"-h", "--help", "--hydra-help", "--version", "-c", "--cfg", "--resolve", "-p", "--package", "-i",
               "--info", "-m", "--multirun", "-r", "--run", "-cp", "--config-path", "-cn", "--config-name", "-cd",
               "--config-dir", "-sc", "--shell-completion", "--experimental-rerun"}


def _run(argv: list[str]) -> int:
    unknown = [a for a in argv if a.startswith("-") and a.split("=", 1)[0] not in HYDRA_FLAGS]
    if unknown:
        print(f"benchit: error: unknown flag {unknown[0]}{flag_suggestion(unknown[0], _tutorial_parser())} "
              "(see `benchit --help`)", file=sys.stderr)
        return EXIT_USAGE
    problem = check_group_options(argv) or _check_inputs(argv)
    if problem:
        print(f"benchit: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not any(a.split("=", 1)[0] in _NO_RUN_FLAGS for a in argv):
        from benchit.runner.prestart import prestart

        prestart()  # the first worker starts (and imports torch) while Hydra composes
    from benchit.app import run_hydra  # imports Hydra: only now that a run starts
    from benchit.config.overrides import without_default_script

    return run_hydra(without_default_script(argv))


# Hydra flags after which no script runs: no worker is started ahead for them.
_NO_RUN_FLAGS = {"--cfg", "-c", "--info", "-i", "--hydra-help", "--help", "-h", "--shell-completion", "-sc"}


def _check_inputs(argv: list[str]) -> str | None:
    """Files named on the command line that can be checked before anything runs (a --sequence-file)."""
    for arg in argv:
        key, _, value = arg.partition("=")
        if key.lstrip("+") == "sequence.file" and value not in ("", "null"):
            from benchit.build.sequence import check_sequence_file

            return check_sequence_file(value.strip("'\""))
    return None


def _has_tutorial_flag(argv: list[str]) -> bool:
    """`benchit --all -s DIR` is the tutorial form too: its flags never clash with Hydra's."""
    flags = {option for action in _tutorial_parser()._actions for option in action.option_strings}
    return any(arg.split("=", 1)[0] in flags for arg in argv)


def _looks_like_script(arg: str) -> bool:
    return not arg.startswith("-") and "=" not in arg and (arg.split("::")[0].endswith(".py") or "::" in arg)


def _tutorial_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="benchit", add_help=False)
    p.add_argument("targets", nargs="*")
    p.add_argument("--device")
    p.add_argument("--runtime")
    p.add_argument("--cache-dir")
    p.add_argument("--lean-cache", action="store_true")
    p.add_argument("--rebuild", choices=["if_needed", "always", "never"])
    p.add_argument("--sequence")
    p.add_argument("--sequence-file")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--analyze-only", action="store_true")
    p.add_argument("--max-depth", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--script-args")
    p.add_argument("-s", "--search-dir")
    p.add_argument("--all", action="store_true")
    p.add_argument("--timeout", type=float)
    p.add_argument("--labels", nargs="+")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--resume", action="store_true")
    return p


def translate_tutorial_args(args: list[str], need_script: bool = False) -> list[str]:
    """The tutorial's flags -> Hydra overrides. Extra `key=value` arguments pass through as they are, so the
    forms mix: `benchit input=two_models --device x86` is `benchit input=two_models device=x86`."""
    parser = _tutorial_parser()
    ns, unknown = parser.parse_known_args(args)
    flags = [u for u in unknown if u.startswith("-") and u.split("=", 1)[0] not in HYDRA_FLAGS]
    if flags:
        raise UsageError(f"unknown flag {flags[0]}{flag_suggestion(flags[0], parser)} (see `benchit --help`)")
    if ns.labels:  # `--labels a::b c::d key=value x.py`: nargs="+" also took the overrides and scripts after it
        ns.targets += [item for item in ns.labels if "::" not in item or "=" in item or item.endswith(".py")]
        ns.labels = [item for item in ns.labels if item not in ns.targets]
    passthrough = [t for t in ns.targets if "=" in t and not _looks_like_script(t)] + unknown
    targets = [t for t in ns.targets if t not in passthrough]
    overrides: list[str] = []
    scripts, hashes = [], []
    base = Path(ns.search_dir) if ns.search_dir else None
    for target in targets:
        path, _, hash_text = target.partition("::")
        script = Path(path)
        if base is not None and not script.is_absolute() and not script.exists():
            script = base / script
        scripts.append(os.path.abspath(script))
        hashes.extend(h for h in hash_text.split(",") if h)
    if ns.all:
        if base is None:
            raise UsageError("--all needs a search directory: --all -s DIR")
        overrides += ["input.script=null", f"input.search_dir={hydra_quote(os.path.abspath(base))}"]
    elif not scripts and need_script and not any(p.split("=", 1)[0].lstrip("+").startswith("input") for p in passthrough):
        raise UsageError("give a script to benchmark, e.g. `benchit benchmark examples/cli/scripts/hello_world.py`")
    if len(scripts) == 1 and not ns.all:
        overrides.append(f"input.script={hydra_quote(scripts[0])}")
    elif scripts:
        if not ns.all:
            overrides.append("input.script=null")
        overrides.append(f"input.scripts={hydra_value(scripts)}")
    if ns.build_only and ns.analyze_only:
        raise UsageError("--build-only and --analyze-only exclude each other")
    # Every other flag is an option of the shared translation (benchit/overrides.py), like the API's keywords.
    overrides += to_overrides({
        "hashes": hashes or None,
        "script_args": ns.script_args,
        "labels": ns.labels or None,
        "device": ns.device,
        "runtime": ns.runtime,
        "cache_dir": ns.cache_dir,
        "lean_cache": ns.lean_cache or None,
        "rebuild": ns.rebuild,
        "sequence": ns.sequence,
        "sequence_file": ns.sequence_file,
        "mode": "build" if ns.build_only else "analyze" if ns.analyze_only else None,
        "max_depth": ns.max_depth,
        "batch_size": ns.batch_size,
        "timeout": ns.timeout,
        "verbose": ns.verbose or None,
        "resume": ns.resume or None,
    })
    return overrides + passthrough


if __name__ == "__main__":
    sys.exit(main())
