"""A least-recently-used cache with hit and miss counters."""

from lrucache.cache import LRUCache

__all__ = ["LRUCache"]
