"""A sequence file that raises while it is imported."""

raise ImportError("this sequence file is broken on purpose")
