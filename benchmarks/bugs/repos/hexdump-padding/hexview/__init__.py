"""``hexdump``-style views of bytes."""

from hexview.dump import hexdump, printable, undump

__all__ = ["hexdump", "printable", "undump"]
