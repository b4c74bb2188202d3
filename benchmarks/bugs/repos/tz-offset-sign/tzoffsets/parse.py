import re

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def parse_offset(text: str) -> int:
    """``"+05:30"`` -> 330, ``"-08:00"`` -> -480, ``"Z"`` -> 0 (minutes east of UTC)."""
    if text in ("Z", "z"):
        return 0
    match = _OFFSET.match(text.strip())
    if match is None:
        raise ValueError(f"not a UTC offset: {text!r}")
    sign_char, hours, minutes = match.groups()
    if int(minutes) >= 60 or int(hours) > 14:
        raise ValueError(f"UTC offset out of range: {text!r}")
    sign = -1 if sign_char == "-" else 1
    return sign * (int(hours) * 60 + int(minutes))


def to_utc_minutes(local_minutes: int, offset: str) -> int:
    """Minutes since midnight UTC for a local time of day at ``offset``, modulo one day."""
    return (local_minutes - parse_offset(offset)) % (24 * 60)
