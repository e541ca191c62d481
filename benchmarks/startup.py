"""Spine figures: hello_world end to end (cold and warm cache) beside plain python; start-up.

Every goal is a ratio to a baseline measured in the same run, on the same machine and at the same load:
`python hello_world.py` for the runs, a bare interpreter start (`python -c pass`) for `--help` and `version`.
"""

from __future__ import annotations

import shutil
import sys

from harness import EXAMPLES, QUICK, Row, benchit_argv, temp_dir, time_command

COLD_GOAL, WARM_GOAL, START_GOAL = 3.0, 2.0, 5.0  # x the baseline


def rows() -> list[Row]:
    cache = temp_dir("startup")
    env = {"BENCHIT_CACHE_DIR": str(cache)}
    script = str(EXAMPLES / "hello_world.py")
    repeat = 1 if QUICK else 3
    plain = time_command([sys.executable, script], repeat=repeat + 2)
    bare = time_command([sys.executable, "-c", "pass"], repeat=5)

    def clear():
        shutil.rmtree(cache, ignore_errors=True)

    cold = time_command(benchit_argv("input=hello_world"), repeat=repeat, env=env, setup=clear)
    time_command(benchit_argv("input=hello_world"), repeat=1, env=env)  # make sure the cache is warm
    warm = time_command(benchit_argv("input=hello_world"), repeat=repeat, env=env)
    help_ = time_command(benchit_argv("--help"), repeat=5)
    version = time_command(benchit_argv("version"), repeat=5)
    shutil.rmtree(cache, ignore_errors=True)
    return [
        Row("hello_world, cold cache", cold, "s", plain, "python hello_world.py", f"<= {COLD_GOAL:g}x",
            cold <= COLD_GOAL * plain),
        Row("hello_world, warm cache", warm, "s", plain, "python hello_world.py", f"<= {WARM_GOAL:g}x",
            warm <= WARM_GOAL * plain),
        Row("benchit --help", help_, "s", bare, "python -c pass", f"<= {START_GOAL:g}x", help_ <= START_GOAL * bare),
        Row("benchit version", version, "s", bare, "python -c pass", f"<= {START_GOAL:g}x",
            version <= START_GOAL * bare),
    ]
