"""Binary search over sorted lists."""

from sortedsearch.search import count, find_first, lower_bound

__all__ = ["count", "find_first", "lower_bound"]
