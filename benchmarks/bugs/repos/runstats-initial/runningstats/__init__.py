"""Streaming count, mean, minimum and maximum."""

from runningstats.stats import RunningStats

__all__ = ["RunningStats"]
