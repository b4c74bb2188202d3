from decimal import Decimal

import pytest
from moneyround import format_amount, round_money, split_evenly


def test_rounds_down_below_half():
    assert round_money("2.344") == Decimal("2.34")


def test_half_cent_rounds_up():
    assert round_money("0.125") == Decimal("0.13")


def test_half_rounds_away_from_zero_for_whole_units():
    assert round_money(2.5, places=0) == Decimal("3")


def test_negative_half_rounds_away_from_zero():
    assert round_money("-1.005") == Decimal("-1.01")


def test_format_amount():
    assert format_amount(1234.5) == "1,234.50 EUR"


def test_format_amount_half_cent():
    assert format_amount("10.005", "USD") == "10.01 USD"


def test_split_evenly_sums_to_total():
    assert split_evenly(100, 3) == [34, 33, 33]


def test_split_into_zero_parts():
    with pytest.raises(ValueError, match="parts"):
        split_evenly(100, 0)
