"""Roman numerals, both ways."""

from romans.numerals import from_roman, to_roman

__all__ = ["from_roman", "to_roman"]
