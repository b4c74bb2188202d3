import pytest
from ledger import Account, InsufficientFunds, transfer


def test_deposit_and_withdraw():
    acc = Account("a", 100)
    acc.deposit(50)
    acc.withdraw(30)
    assert acc.balance == 120
    assert acc.history == [50, -30]


def test_overdraft_is_refused():
    with pytest.raises(InsufficientFunds, match="cannot withdraw 200"):
        Account("a", 100).withdraw(200)


def test_transfer_moves_money():
    a, b = Account("a", 100), Account("b")
    transfer(a, b, 40)
    assert (a.balance, b.balance) == (60, 40)


def test_failed_transfer_leaves_target_unchanged():
    a, b = Account("a", 10), Account("b", 5)
    with pytest.raises(InsufficientFunds):
        transfer(a, b, 50)
    assert (a.balance, b.balance) == (10, 5)
    assert b.history == []


def test_total_money_is_conserved_on_failure():
    a, b = Account("a", 0), Account("b", 0)
    with pytest.raises(InsufficientFunds):
        transfer(a, b, 1)
    assert a.balance + b.balance == 0


def test_non_positive_amount():
    with pytest.raises(ValueError, match="positive"):
        transfer(Account("a", 10), Account("b"), 0)
