import pytest
from calendarkit import add_days, day_of_year, days_in_month, is_leap_year


def test_ordinary_leap_year():
    assert is_leap_year(2024)
    assert not is_leap_year(2023)


def test_century_is_not_leap():
    assert not is_leap_year(1900)


def test_year_divisible_by_400_is_leap():
    assert is_leap_year(2000)


def test_february_2000_has_29_days():
    assert days_in_month(2000, 2) == 29


def test_day_of_year_after_february_2000():
    assert day_of_year((2000, 3, 1)) == 61


def test_add_days_across_year_end():
    assert add_days((2023, 12, 30), 3) == (2024, 1, 2)


def test_add_days_through_leap_day_2000():
    assert add_days((2000, 2, 28), 1) == (2000, 2, 29)


def test_subtract_days():
    assert add_days((2024, 3, 1), -1) == (2024, 2, 29)


def test_bad_month():
    with pytest.raises(ValueError, match="month"):
        days_in_month(2024, 13)
