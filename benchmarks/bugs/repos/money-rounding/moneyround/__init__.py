"""Round and format money amounts the way invoices do (half away from zero)."""

from moneyround.money import format_amount, round_money, split_evenly

__all__ = ["format_amount", "round_money", "split_evenly"]
