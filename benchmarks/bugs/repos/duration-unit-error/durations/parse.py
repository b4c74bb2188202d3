import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([a-zA-Z]+)")


def parse_duration(text: str) -> int:
    """Seconds in ``text`` (``"1h30m"`` -> 5400); ``ValueError`` for anything else."""
    compact = text.replace(" ", "").lower()
    if not compact:
        raise ValueError("empty duration")
    total = 0
    pos = 0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            raise ValueError(f"cannot parse duration {text!r}")
        number, unit = match.groups()
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {unit!r} in {text!r}")
        total += int(number) * _UNITS[unit]
        pos = match.end()
    if pos != len(compact):
        raise ValueError(f"cannot parse duration {text!r}")
    return total


def format_duration(seconds: int) -> str:
    """The inverse of ``parse_duration``: 5400 -> ``"1h30m"``, 0 -> ``"0s"``."""
    if seconds < 0:
        raise ValueError(f"negative duration: {seconds}")
    parts = []
    for unit, size in _UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
