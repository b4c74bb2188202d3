"""Small dense matrices as lists of rows."""

from matrixlite.ops import identity, matmul, shape, transpose

__all__ = ["identity", "matmul", "shape", "transpose"]
