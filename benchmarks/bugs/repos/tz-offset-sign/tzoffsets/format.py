def format_offset(minutes: int) -> str:
    """330 -> ``"+05:30"``, -480 -> ``"-08:00"``, 0 -> ``"+00:00"``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"
