"""Descriptive statistics without NumPy."""

from descstats.summary import mean, median, mode, summary, variance

__all__ = ["mean", "median", "mode", "summary", "variance"]
