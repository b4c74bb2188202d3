Matrix = list[list[float]]


def shape(m: Matrix) -> tuple[int, int]:
    return (len(m), len(m[0]) if m else 0)


def identity(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    rows, cols = shape(m)
    return [[m[r][c] for r in range(rows)] for c in range(cols)]


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """The product ``a @ b``; ``ValueError`` when the inner sizes differ."""
    _, a_cols = shape(a)
    b_rows, _ = shape(b)
    if a_cols != b_rows:
        raise ValueError(f"cannot multiply {shape(a)} by {shape(b)}")
    bt = transpose(b)
    return [[sum(x * y for x, y in zip(row, col, strict=True)) for col in bt] for row in a]
