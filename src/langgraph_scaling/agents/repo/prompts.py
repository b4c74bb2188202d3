"""What the repository agent says to the model: short, concrete, for small models too.

Example:
    >>> "finish" in SYSTEM and "never" in EDIT_FORMAT
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage

__all__ = [
    "EDIT_FAILED",
    "EDIT_FORMAT",
    "REPRODUCTION_ADDED",
    "SYSTEM",
    "edit_request",
    "opening",
    "reproduction_added",
    "reproduction_request",
]

SYSTEM = (
    "You fix bugs in a Python repository by calling tools, one tool per turn.\n"
    "- list_files, read_file, search_code: look at the code.\n"
    "- run_tests: run the repository's tests.\n"
    "- edit: change the code (it is tested before it is kept).\n"
    "- finish: stop, when the bug is fixed or you cannot fix it.\n"
    "Read the code the failing test calls before you edit. Never change the tests."
)

EDIT_FAILED = "FAILED:"
"""How the answer to an edit step that changed nothing starts (the next edit is told it)."""
REPRODUCTION_ADDED = "A test that reproduces the issue was added"
"""How the note that a reproduction test is in place starts."""

EDIT_FORMAT = (
    "Write the file's path on one line, then a ```python block holding SEARCH/REPLACE "
    "blocks:\n"
    "path/to/file.py\n"
    "```python\n"
    "<<<<<<< SEARCH\n"
    "the exact lines of the file to change\n"
    "=======\n"
    "the new lines\n"
    ">>>>>>> REPLACE\n"
    "```\n"
    "Copy the SEARCH lines exactly from the file. You may instead give the whole fixed "
    "function. Change only the code, never the tests."
)


def opening(issue: str, files: list[str], tests: str) -> list[AnyMessage]:
    """The conversation's start: the issue, the files, how the tests stand."""
    listing = "\n".join(files[:60]) + ("\n..." if len(files) > 60 else "")
    return [
        SystemMessage(SYSTEM),
        HumanMessage(
            f"Issue:\n{issue.strip()}\n\nFiles:\n{listing}\n\nThe tests before any change:\n{tests}"
        ),
    ]


def edit_request(
    planned: str,
    files: Mapping[str, str] | None = None,
    failed: str = "",
    form: str = EDIT_FORMAT,
) -> HumanMessage:
    """Ask for the edit itself (the edit step's branches answer this), showing ``files``
    (path -> current text) as they are now, so the SEARCH lines can be copied, and what the
    last failed edit got wrong; ``form`` says how to write it."""
    shown = "".join(
        f"{path}:\n```python\n{text.rstrip()}\n```\n\n" for path, text in (files or {}).items()
    )
    before = f"Your last edit failed:\n{failed.strip()[:1200]}\n\n" if failed.strip() else ""
    plan = f"Your planned edit:\n{planned.strip()}\n\n" if planned.strip() else ""
    return HumanMessage(f"{shown}{before}{plan}Now write the edit that fixes the issue. {form}")


def reproduction_request(path: str) -> HumanMessage:
    """Ask for a test that fails on the current code because of the issue."""
    return HumanMessage(
        "Every test passes now, so no test shows the issue. Write a new test file "
        f"{path} with pytest test functions that call the code the way the issue "
        "describes and assert the correct behaviour, so that they FAIL on the current "
        f"code. Answer with the path {path} on one line, then one ```python block holding "
        "the whole file (imports included)."
    )


def reproduction_added(path: str, tests: str) -> HumanMessage:
    """Tell the model the reproduction test is in place and how it fails."""
    return HumanMessage(
        f"{REPRODUCTION_ADDED} as {path}; do not change it. "
        f"The tests now:\n{tests}\nFix the code so that it passes."
    )
