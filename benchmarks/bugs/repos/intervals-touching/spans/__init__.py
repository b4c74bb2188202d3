"""Merge and measure closed integer intervals."""

from spans.merge import covered_length, merge, overlaps

__all__ = ["covered_length", "merge", "overlaps"]
