# labels: kind::plain
"""Runs fine and calls no model."""
print("no_models: nothing to benchmark here")
