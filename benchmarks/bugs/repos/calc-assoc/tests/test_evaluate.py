import pytest
from minicalc import CalcError, evaluate


def test_number():
    assert evaluate("42") == 42


def test_precedence():
    assert evaluate("2 + 3 * 4") == 14


def test_parentheses():
    assert evaluate("(2 + 3) * 4") == 20


def test_subtraction_is_left_associative():
    assert evaluate("10 - 4 - 3") == 3


def test_mixed_additive_chain():
    assert evaluate("1 - 2 + 3") == 2


def test_division_chain():
    assert evaluate("64 / 4 / 2") == 8


def test_unary_minus():
    assert evaluate("-3 * -2") == 6


def test_division_by_zero():
    with pytest.raises(CalcError, match="division by zero"):
        evaluate("1 / 0")


def test_trailing_garbage():
    with pytest.raises(CalcError):
        evaluate("1 + 2 )")
