"""Evaluate arithmetic expressions: + - * / ( ) and unary minus."""

from minicalc.parser import CalcError, evaluate

__all__ = ["CalcError", "evaluate"]
