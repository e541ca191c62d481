"""How much memory a model takes while it loads and runs: the measuring process's peak RSS, and the GPU's.

On Linux the kernel keeps the process's resident high-water mark (VmHWM) and lets a process reset it
(`echo 5 > /proc/self/clear_refs`), so the peak of exactly the load and the timed loop is read without
sampling. Elsewhere psutil's RSS is sampled by a thread every 5 ms, and the figure says so.
"""

from __future__ import annotations

import threading
from pathlib import Path

from benchit.records import Memory

_MB = 1024 * 1024
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_high_water_mark() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    hwm, rss = _status_kb("VmHWM"), _status_kb("VmRSS")
    return hwm is not None and rss is not None and hwm <= rss + 1024  # the reset took


def _rss_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


class PeakMemory:
    """Context manager: `with PeakMemory() as peak: ...`, then `peak.record(device_memory_mb)`."""

    def __init__(self) -> None:
        self.before = 0
        self.peak = 0
        self.method = ""
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> "PeakMemory":
        self.before = _rss_bytes()
        if _reset_high_water_mark():
            self.method = "VmHWM (kernel high-water mark, reset before the load)"
        else:
            self.method = "RSS sampled every 5 ms"
            self.peak = self.before
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc) -> None:
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join()
            self.peak = max(self.peak, _rss_bytes())
        else:
            hwm = _status_kb("VmHWM")
            self.peak = hwm * 1024 if hwm is not None else _rss_bytes()

    def record(self, device_memory_mb: float | None = None) -> Memory:
        return Memory(peak_rss_mb=round(max(0, self.peak - self.before) / _MB, 2),
                      peak_rss_total_mb=round(self.peak / _MB, 2), rss_before_mb=round(self.before / _MB, 2),
                      device_memory_mb=None if device_memory_mb is None else round(device_memory_mb, 2),
                      method=self.method)
