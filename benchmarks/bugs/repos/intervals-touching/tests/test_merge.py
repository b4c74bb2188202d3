import pytest
from spans import covered_length, merge, overlaps


def test_empty():
    assert merge([]) == []


def test_disjoint_are_kept_and_sorted():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_overlapping_are_merged():
    assert merge([(1, 4), (3, 8)]) == [(1, 8)]


def test_contained_interval():
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]


def test_intervals_sharing_an_end_point_are_merged():
    assert merge([(1, 3), (3, 5)]) == [(1, 5)]


def test_covered_length_counts_shared_point_once():
    assert covered_length([(1, 3), (3, 5)]) == 5


def test_overlaps_at_a_point():
    assert overlaps((1, 3), (3, 4))
    assert not overlaps((1, 2), (3, 4))


def test_reversed_interval_is_rejected():
    with pytest.raises(ValueError, match="ends before"):
        merge([(3, 1)])
