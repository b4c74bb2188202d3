"""Parse and format durations such as ``1h30m`` or ``45s``."""

from durations.parse import format_duration, parse_duration

__all__ = ["format_duration", "parse_duration"]
