"""Test helpers for a --config-dir: benchit's real stages, paused mid-stage when a test asks.

Each class runs the real stage, then, when $BENCHIT_FAULT_STAGE names it, writes its pid to the file
$BENCHIT_FAULT_MARK and waits (up to 120 s) until the test deletes that file: the stage's files are written,
the builder has not recorded the stage as done. A test then interrupts or kills benchit there (or deletes the
file to let it go on). `Raises` is a stage that raises when $BENCHIT_FAULT_RAISE is set.
"""

import os
import time
from pathlib import Path

from benchit.build import Stage
from benchit.build.stages import ConvertFp16, ExportModel, OptimizeOnnx, SetSuccess


def _pause_if_asked(name: str, ctx) -> None:
    """Pause in stage `name` of the builds whose name contains $BENCHIT_FAULT_BUILD (default: every build)."""
    if (os.environ.get("BENCHIT_FAULT_STAGE") == name and os.environ.get("BENCHIT_FAULT_MARK")
            and os.environ.get("BENCHIT_FAULT_BUILD", "") in ctx.build.name):
        mark = Path(os.environ["BENCHIT_FAULT_MARK"])
        mark.write_text(str(os.getpid()))
        deadline = time.monotonic() + 120
        while mark.exists() and time.monotonic() < deadline:  # the test deletes the mark to let it go on
            time.sleep(0.1)


class PausedExport(ExportModel):
    def run(self, ctx):
        super().run(ctx)
        _pause_if_asked(self.stage_name(ctx.framework), ctx)


class PausedOptimize(OptimizeOnnx):
    def run(self, ctx):
        super().run(ctx)
        _pause_if_asked(self.name, ctx)


class PausedFp16(ConvertFp16):
    def run(self, ctx):
        super().run(ctx)
        _pause_if_asked(self.name, ctx)


class PausedSuccess(SetSuccess):
    def run(self, ctx):
        super().run(ctx)
        _pause_if_asked(self.name, ctx)


class Raises(Stage):
    name = "raises"
    writes_model = False

    def run(self, ctx):
        if os.environ.get("BENCHIT_FAULT_RAISE"):
            raise RuntimeError("this stage fails on purpose")
