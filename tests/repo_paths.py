"""Where the repository and its examples are, for tests to import.

Tests import these from here, never from conftest: tests/faults/ has a conftest.py
of its own, and two modules both named `conftest` would shadow each other.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "cli" / "scripts"
