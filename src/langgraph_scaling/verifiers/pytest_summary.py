"""Reading pytest's short test summary: its lines, and the test ids they name.

Example:
    >>> summary_lines(["..F\\nFAILED tests/test_a.py::test_x - assert 1 == 2\\n1 failed"])
    ['FAILED tests/test_a.py::test_x - assert 1 == 2']
    >>> failing_tests("ERROR tests/test_b.py - ImportError: x\\nFAILED (failures=1)")
    ('tests/test_b.py',)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["SUMMARY_LINE", "failing_tests", "summary_lines"]

SUMMARY_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")
"""A line of pytest's short summary (what follows names a test, or is unittest's count)."""
_TEST_ID = re.compile(r"^(FAILED|ERROR) ([^\s:]+\.py(?:::\S+)?)")  # a test file or node id


def summary_lines(outputs: Iterable[str], limit: int = 200) -> list[str]:
    """The ``FAILED``/``ERROR`` lines of test runs' outputs, all of them (up to ``limit``)."""
    lines = (line for out in outputs for line in out.splitlines())
    return [line for line in lines if SUMMARY_LINE.match(line)][:limit]


def failing_tests(output: str) -> tuple[str, ...]:
    """The test ids pytest's short summary names (``FAILED``/``ERROR`` lines, a test file
    for one that failed to collect). Other runners' output names none (unittest's
    ``FAILED (failures=1)`` is not an id).

    Example:
        >>> failing_tests("FAILED tests/test_a.py::test_x - assert 1 == 2\\n1 failed")
        ('tests/test_a.py::test_x',)
    """
    found = (m.group(2) for line in output.splitlines() if (m := _TEST_ID.match(line)))
    return tuple(dict.fromkeys(found))
