import pytest
from tzoffsets import format_offset, parse_offset, to_utc_minutes


def test_parse_east():
    assert parse_offset("+05:30") == 330


def test_parse_west():
    assert parse_offset("-08:00") == -480


def test_parse_zulu_and_compact():
    assert parse_offset("Z") == 0
    assert parse_offset("+0100") == 60


def test_format_east():
    assert format_offset(330) == "+05:30"


def test_format_west():
    assert format_offset(-480) == "-08:00"


def test_format_zero():
    assert format_offset(0) == "+00:00"


def test_round_trip():
    for text in ("+05:45", "-03:30", "+14:00"):
        assert format_offset(parse_offset(text)) == text


def test_noon_in_new_york_is_five_pm_utc():
    assert to_utc_minutes(12 * 60, "-05:00") == 17 * 60


def test_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        parse_offset("+15:00")
