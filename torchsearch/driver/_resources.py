"""What a trial costs in memory, for its record (``Key.RESOURCES``)."""

from __future__ import annotations

import sys

import torch

__all__ = ["memory_peaks", "reset_device_peak"]


def reset_device_peak() -> None:
    """Starts a new peak of allocated GPU memory, so that the next read is one trial's."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.reset_peak_memory_stats()


def memory_peaks() -> dict[str, int]:
    """The process's peak resident memory so far (``peak_rss_bytes``; it only grows, so
    a trial's figure is at least what that trial needed) and, on a GPU, the peak of
    allocated device memory since :func:`reset_device_peak` (``device_peak_bytes``)."""
    peaks: dict[str, int] = {}
    try:
        import resource
    except ImportError:  # Windows
        pass
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peaks["peak_rss_bytes"] = peak if sys.platform == "darwin" else peak * 1024
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        peaks["device_peak_bytes"] = int(torch.cuda.max_memory_allocated())
    return peaks
