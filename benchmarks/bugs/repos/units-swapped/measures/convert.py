_FACTORS = {
    "mm": ("length", 0.001),
    "cm": ("length", 0.01),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "in": ("length", 0.0254),
    "g": ("mass", 0.001),
    "kg": ("mass", 1.0),
    "lb": ("mass", 0.45359237),
}


def _factor(unit: str) -> tuple[str, float]:
    try:
        return _FACTORS[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}") from None


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``."""
    kind_from, f_from = _factor(from_unit)
    kind_to, f_to = _factor(to_unit)
    if kind_from != kind_to:
        raise ValueError(f"cannot convert {kind_from} ({from_unit}) to {kind_to} ({to_unit})")
    return value * f_from / f_to


def parse_quantity(text: str) -> tuple[float, str]:
    """``"3.5 km"`` -> ``(3.5, "km")``."""
    number, _, unit = text.strip().partition(" ")
    return float(number), unit.strip()


def to_unit(text: str, unit: str) -> float:
    """Parse ``text`` and convert it to ``unit``: ``to_unit("2 km", "m") == 2000``."""
    value, source = parse_quantity(text)
    return convert(value, source, unit)
