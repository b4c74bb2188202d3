import pytest
from tokenbucket import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_starts_full():
    bucket = TokenBucket(rate=1, capacity=3, clock=FakeClock())
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_refills_over_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=2, capacity=2, clock=clock)
    bucket.try_acquire(2)
    clock.now = 0.5
    assert bucket.try_acquire()
    assert not bucket.try_acquire()


def test_idle_time_does_not_exceed_capacity():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=5, clock=clock)
    clock.now = 60
    assert bucket.tokens == 5


def test_burst_after_idle_is_capped():
    clock = FakeClock()
    bucket = TokenBucket(rate=1, capacity=2, clock=clock)
    clock.now = 100
    granted = sum(bucket.try_acquire() for _ in range(10))
    assert granted == 2


def test_clock_going_backwards_adds_nothing():
    clock = FakeClock()
    clock.now = 10
    bucket = TokenBucket(rate=1, capacity=1, clock=clock)
    bucket.try_acquire()
    clock.now = 5
    assert bucket.tokens == 0


def test_invalid_rate():
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0, capacity=1)
