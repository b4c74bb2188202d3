"""Flatten nested lists and tuples, optionally only to some depth."""

from nested.flat import depth, flatten

__all__ = ["depth", "flatten"]
