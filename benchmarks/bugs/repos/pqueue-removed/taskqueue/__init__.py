"""A priority queue of tasks with removal and FIFO order among equal priorities."""

from taskqueue.queue import TaskQueue

__all__ = ["TaskQueue"]
