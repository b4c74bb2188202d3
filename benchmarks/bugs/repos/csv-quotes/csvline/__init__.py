"""Split one CSV line into fields (RFC 4180 quoting)."""

from csvline.split import CsvError, join_line, split_line

__all__ = ["CsvError", "join_line", "split_line"]
