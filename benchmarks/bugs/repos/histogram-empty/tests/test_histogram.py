import pytest
from bins import bar_chart, histogram


def test_even_spread():
    assert histogram([0, 1, 2, 3], 2) == [2, 2]


def test_maximum_goes_in_last_bin():
    assert histogram([0, 10], 5) == [1, 0, 0, 0, 1]


def test_explicit_range_drops_outliers():
    assert histogram([-5, 1, 2, 50], 2, low=0, high=4) == [1, 1]


def test_all_values_equal():
    assert histogram([3, 3, 3], 3) == [3, 0, 0]


def test_empty_input_gives_empty_bins():
    assert histogram([], 3) == [0, 0, 0]


def test_bar_chart():
    assert bar_chart([0, 0, 1], 2, width=4) == "####\n##"


def test_bar_chart_of_no_data():
    assert bar_chart([], 2) == "\n"


def test_bins_must_be_positive():
    with pytest.raises(ValueError, match="bins"):
        histogram([1], 0)
