import pytest
from measures import convert, parse_quantity, to_unit


def test_convert_km_to_m():
    assert convert(2, "km", "m") == 2000


def test_convert_inches_to_cm():
    assert convert(1, "in", "cm") == pytest.approx(2.54)


def test_parse_quantity():
    assert parse_quantity(" 3.5 km ") == (3.5, "km")


def test_to_unit_km_to_m():
    assert to_unit("2 km", "m") == 2000


def test_to_unit_grams_to_kg():
    assert to_unit("1500 g", "kg") == pytest.approx(1.5)


def test_to_unit_same_unit():
    assert to_unit("7 lb", "lb") == 7


def test_mixed_kinds_are_rejected():
    with pytest.raises(ValueError, match="cannot convert"):
        to_unit("1 kg", "m")


def test_unknown_unit():
    with pytest.raises(ValueError, match="unknown unit"):
        convert(1, "parsec", "m")
