"""Test helper stage for a --config-dir: lets a test kill a build in the middle of a stage."""

import os
import time
from pathlib import Path

from benchit.build import Stage


class PauseIfAsked(Stage):
    """Test helper: when $BENCHIT_TEST_PAUSE names a file, create it and sleep (so a test can kill us)."""

    name = "pause"
    writes_model = False

    def run(self, ctx):
        marker = os.environ.get("BENCHIT_TEST_PAUSE")
        if marker:
            Path(marker).write_text(str(os.getpid()))
            time.sleep(120)
