"""A small INI reader: sections, ``key = value`` pairs, comments."""

from iniconf.parser import ParseError, parse

__all__ = ["ParseError", "parse"]
