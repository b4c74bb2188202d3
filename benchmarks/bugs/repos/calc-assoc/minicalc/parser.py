import re

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*)|(.))")


class CalcError(ValueError):
    """A malformed expression or a division by zero."""


def _tokens(text: str) -> list[str]:
    out = []
    for number, op in _TOKEN.findall(text):
        if number:
            out.append(number)
        elif op.strip():
            if op not in "+-*/()":
                raise CalcError(f"unexpected character {op!r}")
            out.append(op)
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise CalcError("unexpected end of expression")
        self.pos += 1
        return token

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> float:
        value = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take()
            rhs = self.factor()
            if op == "/" and rhs == 0:
                raise CalcError("division by zero")
            value = value * rhs if op == "*" else value / rhs
        return value

    def factor(self) -> float:
        token = self.take()
        if token == "-":
            return -self.factor()
        if token == "(":
            value = self.expr()
            if self.take() != ")":
                raise CalcError("expected ')'")
            return value
        if token in "+*/)":
            raise CalcError(f"unexpected {token!r}")
        return float(token)


def evaluate(text: str) -> float:
    """The value of ``text``; ``CalcError`` if it is not a well-formed expression."""
    parser = _Parser(text)
    value = parser.expr()
    if parser.peek() is not None:
        raise CalcError(f"unexpected {parser.peek()!r}")
    return value
