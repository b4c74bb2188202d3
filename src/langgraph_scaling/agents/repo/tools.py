"""The repository agent's tools: look around, run the tests, edit, finish.

:func:`make_repo_tools` binds them to one :class:`~.workspace.Workspace`. The agent's graph
runs the looking tools (``list_files``, ``read_file``, ``search_code``, ``run_tests``)
itself and treats ``edit`` and ``finish`` as actions: an ``edit`` call starts the scaled,
test-verified edit step, ``finish`` ends the run. Called directly, ``edit`` checks the edit
in the sandbox without applying it and ``finish`` echoes its summary. Every answer is
compact text, capped so that a small model's context is not flooded.

Example:
    >>> import tempfile
    >>> repo = Path(tempfile.mkdtemp())
    >>> _ = (repo / "a.py").write_text("def f():\\n    return 1\\n")
    >>> tools = {t.name: t for t in make_repo_tools(Workspace(repo), ["python", "-m", "pytest"])}
    >>> sorted(tools)
    ['edit', 'finish', 'list_files', 'read_file', 'run_tests', 'search_code']
    >>> print(tools["read_file"].invoke({"path": "a.py"}))
    a.py (2 lines)
       1  def f():
       2      return 1

    Small models often name files from the repository's root (``/a.py``, as ``list_files``
    and ``search_code`` accept too); that is read as ``a.py``:

    >>> tools["read_file"].invoke({"path": "/a.py"}).splitlines()[0]
    'a.py (2 lines)'
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.tool import tool_call
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.json import parse_partial_json

from langgraph_scaling.agents.repo.workspace import Workspace, run_in_copy, summarise_output
from langgraph_scaling.edits import EditError
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers.patch import DEFAULT_PROTECTED, PatchVerifier

__all__ = [
    "ACTION_TOOLS",
    "LOOK_TOOLS",
    "bounded_specs",
    "cap_strings",
    "make_repo_tools",
    "salvage_edit_call",
    "suite_text",
]

LOOK_TOOLS = ("list_files", "read_file", "search_code", "run_tests")
"""Tools the graph runs as they are."""
ACTION_TOOLS = ("edit", "finish")
"""Tools the graph turns into steps: the verified edit, the end of the run."""

_MAX_FILES = 200
_MAX_LINES = 200
_MAX_HITS = 40
_CHARS_PER_TOKEN = 1.0
"""Characters of a JSON string argument per generated token, kept low: most tokens write
several, an escape such as ``\\n`` writes one in one or two. An ``edit`` plan capped at
1408 characters took 711 tokens, about 2 a token, too close to 768 to rely on."""
_CALL_TOKENS = 64
"""Tokens a call takes besides its longest string: the name, the other arguments, JSON."""


def bounded_specs(tools: Sequence[BaseTool], max_new_tokens: int | None) -> list[dict[str, Any]]:
    """The tools' OpenAI specs with every string argument capped (``maxLength``) so that a
    constrained call closes within ``max_new_tokens`` instead of being cut off unparsable.

    Under structured outputs the engine enforces the cap: a long ``edit`` plan ends early
    and the call still parses (the edit step writes the edit anew; the plan is a hint to
    it). ``None``: no cap.

    Example:
        >>> def say(text: str) -> str:
        ...     'Say it.'
        ...     return text
        >>> spec = bounded_specs([StructuredTool.from_function(say)], 768)[0]
        >>> spec["function"]["parameters"]["properties"]["text"]
        {'type': 'string', 'maxLength': 704}
    """
    specs = [convert_to_openai_tool(t) for t in tools]
    if max_new_tokens is None:
        return specs
    cap = max(1, int(_CHARS_PER_TOKEN * (max_new_tokens - _CALL_TOKENS)))
    for spec in specs:
        cap_strings(spec, cap)
    return specs


def cap_strings(spec: dict[str, Any], chars: int) -> dict[str, Any]:
    """Give every string argument of the OpenAI tool ``spec`` a ``maxLength`` of at most
    ``chars`` (in place); ``spec`` itself is returned."""
    for prop in spec["function"].get("parameters", {}).get("properties", {}).values():
        if prop.get("type") == "string":
            prop["maxLength"] = min(chars, prop.get("maxLength", chars))
    return spec


def salvage_edit_call(message: AIMessage) -> AIMessage:
    """A turn forced to call ``edit`` whose call was cut off, as the call it began.

    On such a turn the tool is known, and its argument is only the plan the edit step shows
    its branches (they write the edit anew), so a call that ``max_new_tokens`` cut off keeps
    what it wrote (``parse_partial_json``; nothing readable: no plan) instead of the turn
    being lost as "no tool call". A message with a valid ``edit`` call, or without a cut-off
    one, is returned as it is; a salvaged one says so in
    ``response_metadata["salvaged_call"]``.

    Example:
        >>> from langchain_core.messages.tool import invalid_tool_call
        >>> cut = invalid_tool_call(name="edit", args='{"edit": "use / not', id="c1")
        >>> fixed = salvage_edit_call(AIMessage("", invalid_tool_calls=[cut]))
        >>> fixed.tool_calls[0]["args"], fixed.invalid_tool_calls
        ({'edit': 'use / not'}, [])
    """
    if any(c["name"] == "edit" for c in message.tool_calls):
        return message
    cut = next((c for c in message.invalid_tool_calls if c.get("name") == "edit"), None)
    if cut is None:
        return message
    try:
        args = parse_partial_json(cut.get("args") or "")
    except ValueError:  # json.JSONDecodeError: not even the start of an object
        args = None
    plan = args.get("edit") if isinstance(args, dict) else None
    call = tool_call(name="edit", args={"edit": str(plan or "")}, id=cut.get("id") or "edit")
    metadata = {**message.response_metadata, "salvaged_call": cut.get("error") or "cut off"}
    return message.model_copy(
        update={"tool_calls": [call], "invalid_tool_calls": [], "response_metadata": metadata}
    )


def suite_text(exit_code: int | None, output: str) -> str:
    """A test run as the model sees it: a verdict line, then the useful output."""
    verdict = "all tests pass" if exit_code == 0 else f"tests FAIL (exit {exit_code})"
    return f"{verdict}\n{summarise_output(output)}"


def _is_file(ws: Workspace, path: str) -> bool:
    try:
        return ws.read(path) is not None
    except EditError:
        return False


def _list_files(ws: Workspace, path: str = "") -> str:
    prefix = path.strip().strip("/")
    if prefix and _is_file(ws, prefix):  # a file: the model wants to see it
        return _read_file(ws, prefix)
    names = [f for f in ws.files() if not prefix or f == prefix or f.startswith(prefix + "/")]
    if not names:
        return f"no files under {prefix!r}"
    shown = names[:_MAX_FILES]
    more = f"\n... and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return "\n".join(shown) + more


def _read_file(ws: Workspace, path: str, start: int = 1, end: int | None = None) -> str:
    path = path.strip().lstrip("/") or path  # as list/search: "/" is the repository's root
    try:
        text = ws.read(path)
    except EditError as err:
        return f"error: {err.reason}"
    if text is None:
        return f"error: no file {path!r}; list_files shows what exists"
    lines = text.splitlines()
    first = max(1, start)
    last = min(len(lines), end if end is not None else first + _MAX_LINES - 1)
    last = min(last, first + _MAX_LINES - 1)
    body = "\n".join(f"{n:4d}  {lines[n - 1]}" for n in range(first, last + 1))
    head = f"{path} ({len(lines)} lines)"
    if first > 1 or last < len(lines):
        head += f", lines {first}-{last}"
    more = f"\n[more: read_file(path, start={last + 1})]" if last < len(lines) else ""
    return f"{head}\n{body}{more}"


def _search_code(ws: Workspace, pattern: str, path: str = "") -> str:
    try:
        rx = re.compile(pattern)
    except re.error:
        rx = re.compile(re.escape(pattern))
    hits: list[str] = []
    total = 0
    prefix = path.strip().strip("/")
    for name in ws.files():
        if prefix and not (name == prefix or name.startswith(prefix + "/")):
            continue
        text = ws.read(name) or ""
        for number, line in enumerate(text.splitlines(), 1):
            if rx.search(line):
                total += 1
                if len(hits) < _MAX_HITS:
                    hits.append(f"{name}:{number}: {line.strip()[:160]}")
    if not hits:
        return f"no match for {pattern!r}"
    more = f"\n... {total - len(hits)} more matches" if total > len(hits) else ""
    return "\n".join(hits) + more


async def _check_edit(
    ws: Workspace,
    edit: str,
    command: Sequence[str],
    *,
    limit_s: float,
    protected: Sequence[str],
    sandbox: Sandbox | None,
) -> str:
    """``edit`` checked by a :class:`PatchVerifier` on a copy of ``ws``."""
    with tempfile.TemporaryDirectory(prefix="repo-agent-") as tmp:
        root = ws.materialise(Path(tmp) / "repo")
        verifier = PatchVerifier(
            root, command, timeout=limit_s, protected=protected, sandbox=sandbox
        )
        verdict = await verifier.check_patch(edit)
    return f"{'PASSED' if verdict.passed else 'FAILED'}\n{verdict.feedback}"


def make_repo_tools(
    workspace: Workspace,
    test_command: Sequence[str],
    *,
    timeout: float = 60.0,
    protected: Sequence[str] = DEFAULT_PROTECTED,
    sandbox: Sandbox | None = None,
) -> list[BaseTool]:
    """The six tools over ``workspace``; tests run with ``test_command`` in ``sandbox``
    (default: the shared local one)."""
    command = list(test_command)

    def list_files(path: str = "") -> str:
        """List the repository's files (or those under a folder; a file's path shows it)."""
        return _list_files(workspace, path)

    def read_file(path: str, start: int = 1, end: int | None = None) -> str:
        """Show a file with line numbers (200 lines at a time; start/end pick the lines)."""
        return _read_file(workspace, path, start, end)

    def search_code(pattern: str, path: str = "") -> str:
        """Find lines matching a regular expression (or plain text) in the repository."""
        return _search_code(workspace, pattern, path)

    async def run_tests() -> str:
        """Run the repository's tests and show the failures and the summary line."""
        run = await run_in_copy(workspace, command, limit_s=timeout, sandbox=sandbox)
        return suite_text(run.exit_code, run.output)

    async def edit(edit: str) -> str:
        """Change the code. `edit` names the file, then SEARCH/REPLACE blocks:
        path/to/file.py
        ```python
        <<<<<<< SEARCH
        exact lines to find
        =======
        the lines to put instead
        >>>>>>> REPLACE
        ```
        (a whole function or a unified diff also works). Never edit the tests."""
        return await _check_edit(
            workspace, edit, command, limit_s=timeout, protected=protected, sandbox=sandbox
        )

    def finish(summary: str) -> str:
        """Stop: say what you found or fixed."""
        return summary

    tools: list[BaseTool] = [
        StructuredTool.from_function(list_files),
        StructuredTool.from_function(read_file),
        StructuredTool.from_function(search_code),
        StructuredTool.from_function(coroutine=run_tests),
        StructuredTool.from_function(coroutine=edit),
        StructuredTool.from_function(finish),
    ]
    order = [*LOOK_TOOLS, *ACTION_TOOLS]
    return sorted(tools, key=lambda t: order.index(t.name))
