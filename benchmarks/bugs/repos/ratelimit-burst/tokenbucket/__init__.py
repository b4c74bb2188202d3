"""A token-bucket rate limiter with an injectable clock."""

from tokenbucket.bucket import TokenBucket

__all__ = ["TokenBucket"]
