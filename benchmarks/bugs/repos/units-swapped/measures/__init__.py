"""Convert lengths and masses between units, and parse ``"3.5 km"`` strings."""

from measures.convert import convert, parse_quantity, to_unit

__all__ = ["convert", "parse_quantity", "to_unit"]
