# labels: kind::exit
"""Calls sys.exit with a non-zero code before any model runs."""
import sys

print("exits: leaving with code 3")
sys.exit(3)
