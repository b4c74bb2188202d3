import pytest
from batchkit import batches, pairwise_windows, windows


def test_batches_even_split():
    assert batches([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]


def test_batches_keep_the_short_last_batch():
    assert batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]


def test_batch_larger_than_input():
    assert batches("ab", 5) == [["a", "b"]]


def test_batches_of_empty_input():
    assert batches([], 3) == []


def test_windows():
    assert windows([1, 2, 3, 4], 3) == [(1, 2, 3), (2, 3, 4)]


def test_window_as_wide_as_input():
    assert windows([1, 2], 2) == [(1, 2)]


def test_pairwise():
    assert pairwise_windows("abc") == [("a", "b"), ("b", "c")]


def test_bad_size():
    with pytest.raises(ValueError, match="size"):
        batches([1], 0)
