import pytest
from runningstats import RunningStats


def test_mean():
    assert RunningStats([1, 2, 3, 4]).mean == 2.5


def test_extremes_of_positive_values():
    s = RunningStats([3, 9, 4])
    assert (s.minimum, s.maximum) == (3, 9)


def test_extremes_of_negative_values():
    s = RunningStats([-5, -2, -8])
    assert (s.minimum, s.maximum) == (-8, -2)


def test_empty_stream_has_no_extremes():
    s = RunningStats()
    assert (s.count, s.minimum, s.maximum) == (0, None, None)


def test_merge():
    merged = RunningStats([1, 5]).merge(RunningStats([-3]))
    assert (merged.count, merged.minimum, merged.maximum) == (3, -3, 5)
    assert merged.mean == 1


def test_merge_with_empty():
    merged = RunningStats([2, 4]).merge(RunningStats())
    assert (merged.minimum, merged.maximum) == (2, 4)


def test_mean_of_empty():
    with pytest.raises(ValueError, match="empty"):
        _ = RunningStats().mean
