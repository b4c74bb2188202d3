class InsufficientFunds(Exception):
    def __init__(self, account: str, balance: int, amount: int) -> None:
        super().__init__(f"{account} has {balance} cents, cannot withdraw {amount}")
        self.account = account


class Account:
    def __init__(self, name: str, balance: int = 0) -> None:
        self.name = name
        self.balance = balance
        self.history: list[int] = []

    def deposit(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"deposit must be positive, got {amount}")
        self.balance += amount
        self.history.append(amount)

    def withdraw(self, amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"withdrawal must be positive, got {amount}")
        if amount > self.balance:
            raise InsufficientFunds(self.name, self.balance, amount)
        self.balance -= amount
        self.history.append(-amount)


def transfer(source: Account, target: Account, amount: int) -> None:
    """Move ``amount`` cents; on any error neither account changes."""
    source.withdraw(amount)
    target.deposit(amount)
