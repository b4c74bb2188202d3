"""UTC offsets as ``"+HH:MM"`` strings and as signed minutes east of UTC."""

from tzoffsets.format import format_offset
from tzoffsets.parse import parse_offset, to_utc_minutes

__all__ = ["format_offset", "parse_offset", "to_utc_minutes"]
