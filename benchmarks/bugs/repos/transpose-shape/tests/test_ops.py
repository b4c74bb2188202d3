import pytest
from matrixlite import identity, matmul, shape, transpose


def test_transpose_square():
    assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]


def test_transpose_wide():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_transpose_tall():
    assert transpose([[1], [2], [3]]) == [[1, 2, 3]]


def test_matmul_square():
    assert matmul([[1, 2], [3, 4]], identity(2)) == [[1, 2], [3, 4]]


def test_matmul_rectangular():
    assert matmul([[1, 2, 3]], [[1], [2], [3]]) == [[14]]


def test_matmul_shape_mismatch():
    with pytest.raises(ValueError, match="cannot multiply"):
        matmul([[1, 2]], [[1, 2]])


def test_shape_of_empty():
    assert shape([]) == (0, 0)
