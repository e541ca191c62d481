"""Spine figures: hello_world end to end (cold and warm cache) beside plain python; start-up."""

from __future__ import annotations

import shutil
import sys

from harness import EXAMPLES, Row, benchit_argv, temp_dir, time_command


def rows() -> list[Row]:
    cache = temp_dir("startup")
    env = {"BENCHIT_CACHE_DIR": str(cache)}
    script = str(EXAMPLES / "hello_world.py")
    plain = time_command([sys.executable, script], repeat=5)

    def clear():
        shutil.rmtree(cache, ignore_errors=True)

    cold = time_command(benchit_argv("input=hello_world"), repeat=3, env=env, setup=clear)
    time_command(benchit_argv("input=hello_world"), repeat=1, env=env)  # make sure the cache is warm
    warm = time_command(benchit_argv("input=hello_world"), repeat=3, env=env)
    help_ = time_command(benchit_argv("--help"), repeat=5)
    version = time_command(benchit_argv("version"), repeat=5)
    shutil.rmtree(cache, ignore_errors=True)
    return [
        Row("hello_world, cold cache", cold, "s", plain, "python hello_world.py", "<= 3 s", cold <= 3),
        Row("hello_world, warm cache", warm, "s", plain, "python hello_world.py", "<= 2 s", warm <= 2),
        Row("benchit --help", help_, "s", None, "", "< 0.5 s", help_ < 0.5),
        Row("benchit version", version, "s", None, "", "< 0.5 s", version < 0.5),
    ]
