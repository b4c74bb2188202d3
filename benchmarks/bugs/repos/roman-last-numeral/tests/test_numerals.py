import pytest
from romans import from_roman, to_roman


def test_to_roman():
    assert to_roman(1994) == "MCMXCIV"


def test_to_roman_range():
    with pytest.raises(ValueError):
        to_roman(0)


def test_from_roman_subtractive():
    assert from_roman("MCMXCIV") == 1994


def test_from_roman_simple():
    assert from_roman("XII") == 12


def test_from_roman_single_symbol():
    assert from_roman("V") == 5


def test_lower_case_is_accepted():
    assert from_roman("xiv") == 14


def test_round_trip():
    assert all(from_roman(to_roman(n)) == n for n in range(1, 400))


def test_invalid_symbol():
    with pytest.raises(ValueError, match="not a Roman numeral"):
        from_roman("XIZ")
