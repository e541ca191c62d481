"""benchit: benchmark the PyTorch and Keras models inside ordinary Python scripts.

The command line (`benchit --help`) is the main interface; see docs/ for the user guide.
"""

from benchit.version import __version__

__all__ = ["__version__"]
