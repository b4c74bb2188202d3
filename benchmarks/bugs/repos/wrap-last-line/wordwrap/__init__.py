"""Greedy word wrapping and paragraph filling."""

from wordwrap.wrap import fill, wrap

__all__ = ["fill", "wrap"]
