"""Order-preserving de-duplication."""

from uniq.dedupe import duplicates, unique

__all__ = ["duplicates", "unique"]
