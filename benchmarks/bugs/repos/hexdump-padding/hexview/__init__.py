"""``hexdump``-style views of bytes."""

from hexview.dump import hexdump, printable

__all__ = ["hexdump", "printable"]
