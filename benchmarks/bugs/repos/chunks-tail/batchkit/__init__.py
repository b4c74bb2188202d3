"""Split sequences into batches and sliding windows."""

from batchkit.batches import batches, pairwise_windows, windows

__all__ = ["batches", "pairwise_windows", "windows"]
