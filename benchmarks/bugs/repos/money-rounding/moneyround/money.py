from decimal import ROUND_HALF_UP, Decimal


def round_money(amount: float | str | Decimal, places: int = 2) -> Decimal:
    """``amount`` rounded to ``places`` decimals, halves away from zero (2.5 -> 3)."""
    quantum = Decimal(1).scaleb(-places)
    return Decimal(str(amount)).quantize(quantum, rounding=ROUND_HALF_UP)


def format_amount(amount: float | str | Decimal, currency: str = "EUR") -> str:
    """``1234.5`` -> ``'1,234.50 EUR'``."""
    return f"{round_money(amount):,.2f} {currency}"


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """Split cents into ``parts`` shares that differ by at most one cent and sum to the total."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    share, rest = divmod(total_cents, parts)
    return [share + 1 if i < rest else share for i in range(parts)]
