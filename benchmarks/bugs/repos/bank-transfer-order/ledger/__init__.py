"""Accounts with balances in cents, and transfers between them."""

from ledger.accounts import Account, InsufficientFunds, transfer

__all__ = ["Account", "InsufficientFunds", "transfer"]
