import pytest
from descstats import mean, median, mode, summary, variance


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_median_odd():
    assert median([3, 1, 2]) == 2


def test_median_even_integers():
    assert median([1, 2, 3, 4]) == 2.5


def test_median_even_floats():
    assert median([0.5, 1.0]) == 0.75


def test_mode_tie_takes_smallest():
    assert mode([3, 1, 3, 1, 2]) == 1


def test_variance():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(4.571428, rel=1e-5)


def test_summary_of_even_count():
    assert summary([10, 11]) == {"n": 2, "mean": 10.5, "median": 10.5}


def test_empty_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        median([])
