"""Faults: inject every fault of the fault suite into a real run and count the ones survived with nothing lost.

    python benchmarks/run.py faults

Each test of tests/faults/ injects one fault (Ctrl-C in a stage, kill -9, a truncated ONNX file, a full disk,
four runs on one cache, a hostile script, ...) and passes only if the whole promise of docs/faults.md holds:
results finished before it are still in the cache and the report, `cache list`/`stats`/`report` work, the next
run continues, and the console got one clear line and no traceback. Goal: every fault survived. Faults whose
test cannot run here (the full disk needs root to mount a tmpfs; nvidia-without-GPU needs a machine without one)
are counted as skipped, not as injected.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from harness import REPO, Row


def rows() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="benchit-bench-faults-") as folder:
        report = Path(folder) / "faults.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                        str(REPO / "tests" / "faults")], cwd=REPO, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=3600)
        suite = ET.parse(report).getroot()
    cases = suite.iter("testcase")
    injected = survived = skipped = 0
    for case in cases:
        outcome = {child.tag for child in case}
        if "skipped" in outcome:
            skipped += 1
            continue
        injected += 1
        if outcome & {"failure", "error"}:
            print(f"  not survived: {case.get('classname')}::{case.get('name')}", file=sys.stderr)
        else:
            survived += 1
    return [
        Row(f"faults injected (tests/faults; {skipped} skipped here)", injected, "faults"),
        Row("faults survived with nothing lost", survived, "faults", injected, "injected", "all",
            survived == injected),
    ]
