"""Keep the repository agent's conversation inside the model's context window.

A small model's window (4096 tokens for the embedded engine) fills after a few file reads,
and a prompt that does not fit fails every branch. Before each scaled step the messages are
shortened, oldest first, until their approximate size (tools included) fits ``budget``:

1. older tool outputs (all but the latest turn's) shrink to their first line and a note
   that the tool can be called again;
2. if that is not enough, the oldest turns (a model message and its tool answers) are left
   out, with one line saying how many;
3. as a last resort the latest tool output is cut, saying so.

The opening (system prompt and issue) and every human message stay. The state keeps the
whole conversation; only what is sent is shortened. Sizes are counted with
``count_tokens_approximately`` at 3 characters a token (code tokenises densely).

Example:
    >>> from langchain_core.messages import HumanMessage, SystemMessage
    >>> msgs = [SystemMessage("fix it"), HumanMessage("issue")]
    >>> fit(msgs, budget=1000) == msgs
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately

__all__ = ["fit", "size"]

CHARS_PER_TOKEN = 3.0
SHORTENED = " [older output shortened; call the tool again to see it]"
CUT = "\n[cut to fit the context window; ask for fewer lines]"


def size(messages: Sequence[AnyMessage], tools: Sequence[Any] = ()) -> int:
    """Approximate prompt tokens of ``messages`` with ``tools`` bound."""
    return count_tokens_approximately(
        messages, chars_per_token=CHARS_PER_TOKEN, tools=list(tools) or None
    )


def _opening(messages: Sequence[AnyMessage]) -> int:
    """How many leading messages are the opening (through the first human message)."""
    for i, message in enumerate(messages):
        if isinstance(message, HumanMessage):
            return i + 1
    return 0


def _shorten(message: ToolMessage) -> ToolMessage:
    text = message.text
    if text.endswith(SHORTENED):
        return message
    first = text.strip().splitlines()[0][:160] if text.strip() else ""
    if len(first) + len(SHORTENED) >= len(text):  # a one-liner: nothing to save
        return message
    return message.model_copy(update={"content": first + SHORTENED})


def _turns(body: Sequence[AnyMessage]) -> list[list[AnyMessage]]:
    """``body`` cut before each model message (a turn: the call and its answers)."""
    turns: list[list[AnyMessage]] = []
    for message in body:
        if isinstance(message, AIMessage) or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


def fit(
    messages: Sequence[AnyMessage], budget: int | None, tools: Sequence[Any] = ()
) -> list[AnyMessage]:
    """``messages`` shortened to about ``budget`` tokens (``None``: unchanged)."""
    out = list(messages)
    if budget is None or size(out, tools) <= budget:
        return out
    head, turns = out[: _opening(out)], _turns(out[_opening(out) :])
    for turn in turns[:-1]:
        turn[:] = [_shorten(m) if isinstance(m, ToolMessage) else m for m in turn]
        if size(_join(head, turns, 0), tools) <= budget:
            return _join(head, turns, 0)
    dropped = 0
    while dropped < len(turns) - 1 and size(_join(head, turns, dropped), tools) > budget:
        dropped += 1
    kept = _join(head, turns, dropped)
    over = size(kept, tools) - budget
    return kept if over <= 0 else _cut_latest(kept, over)


def _cut_latest(messages: list[AnyMessage], over: int) -> list[AnyMessage]:
    """The last resort: the latest tool outputs cut by about ``over`` tokens, each ending
    with a note (the opening alone may still not fit; the engine then says so)."""
    last = [i for i, m in enumerate(messages) if isinstance(m, ToolMessage)][-1:]
    for i in last:
        text = messages[i].text
        keep = max(0, len(text) - int(over * CHARS_PER_TOKEN) - len(CUT))
        messages[i] = messages[i].model_copy(update={"content": text[:keep] + CUT})
    return messages


def _join(head: list[AnyMessage], turns: list[list[AnyMessage]], dropped: int) -> list[AnyMessage]:
    """The opening, the human messages of the first ``dropped`` turns, then the rest."""
    kept: list[AnyMessage] = list(head)
    humans = [m for turn in turns[:dropped] for m in turn if isinstance(m, HumanMessage)]
    if dropped:
        note = f"({dropped} earlier turn{'s' if dropped > 1 else ''} left out to save space.)"
        kept.append(HumanMessage(note))
    kept += humans
    for turn in turns[dropped:]:
        kept += turn
    return kept
