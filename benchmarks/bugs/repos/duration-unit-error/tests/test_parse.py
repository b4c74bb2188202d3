import pytest
from durations import format_duration, parse_duration


def test_single_unit():
    assert parse_duration("45s") == 45


def test_combined_units_and_spaces():
    assert parse_duration("1h 30m") == 5400


def test_upper_case():
    assert parse_duration("2D") == 2 * 86400


def test_unknown_unit_is_a_value_error():
    with pytest.raises(ValueError, match="unknown unit 'w'"):
        parse_duration("3w")


def test_misspelled_unit_is_a_value_error():
    with pytest.raises(ValueError):
        parse_duration("10min")


def test_garbage():
    with pytest.raises(ValueError, match="cannot parse"):
        parse_duration("abc")


def test_format_round_trip():
    assert format_duration(parse_duration("1d2h3m4s")) == "1d2h3m4s"
    assert format_duration(0) == "0s"
