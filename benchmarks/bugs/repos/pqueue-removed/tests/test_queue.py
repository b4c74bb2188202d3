import pytest
from taskqueue import TaskQueue


def test_pops_lowest_priority_first():
    q = TaskQueue()
    q.push("low", 5)
    q.push("high", 1)
    assert q.pop() == "high"
    assert q.pop() == "low"


def test_equal_priorities_are_fifo():
    q = TaskQueue()
    for name in ["a", "b", "c"]:
        q.push(name, 1)
    assert [q.pop(), q.pop(), q.pop()] == ["a", "b", "c"]


def test_removed_task_is_skipped():
    q = TaskQueue()
    q.push("a", 1)
    q.push("b", 2)
    q.remove("a")
    assert q.pop() == "b"


def test_len_excludes_removed_tasks():
    q = TaskQueue()
    q.push("a")
    q.push("b")
    q.remove("a")
    assert len(q) == 1


def test_reprioritised_task_counts_once():
    q = TaskQueue()
    q.push("a", 5)
    q.push("a", 1)
    assert len(q) == 1
    assert q.pop() == "a"
    assert not q


def test_queue_is_falsy_when_only_removed_tasks_remain():
    q = TaskQueue()
    q.push("a")
    q.remove("a")
    assert not q


def test_pop_empty_raises():
    with pytest.raises(KeyError):
        TaskQueue().pop()
