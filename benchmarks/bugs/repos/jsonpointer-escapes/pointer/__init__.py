"""Resolve RFC 6901 JSON pointers such as ``/users/0/name``."""

from pointer.resolve import PointerError, resolve, split_pointer

__all__ = ["PointerError", "resolve", "split_pointer"]
