"""Fixed-width histograms and a text bar chart."""

from bins.histogram import bar_chart, histogram

__all__ = ["bar_chart", "histogram"]
