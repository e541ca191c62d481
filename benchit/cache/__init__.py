"""The benchit cache: one folder per build, state and stats files, atomic writes and locks.

Nothing here imports torch, tensorflow or onnxruntime: `benchit cache ...` and `benchit report`
read the cache through this package and must answer instantly.
"""

from benchit.cache.files import atomic_write_text, read_yaml, write_yaml, build_lock
from benchit.cache.layout import (
    DEFAULT_CACHE_DIR,
    STATE_SUFFIX,
    STATS_SUFFIX,
    Build,
    resolve_cache_dir,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "STATE_SUFFIX",
    "STATS_SUFFIX",
    "Build",
    "atomic_write_text",
    "build_lock",
    "read_yaml",
    "resolve_cache_dir",
    "write_yaml",
]
