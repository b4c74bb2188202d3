"""``JudgeVerifier``: a model judges the candidate, scored by the probability of "yes".

The judge sends one request per judgement (``max_tokens=1``, ``temperature=0``,
``logprobs=20``) asking whether the candidate answers the task correctly, and reads the
first generated token's top alternatives: ``score = p(yes) / (p(yes) + p(no))``, where
``p(yes)`` sums every case and space variant (``"Yes"``, ``" yes"``, ``"YES"`` ...) and
likewise ``p(no)``. The text of the reply is never parsed. When neither word is among the
alternatives the score is 0.5 and ``details["undecided"]`` is set. A backend that returns
no log-probabilities raises :class:`~langgraph_scaling.errors.VerifierError` (it cannot
judge at all).

With ``per_step=True`` the candidate is split into steps and every prefix is judged (a
generative process-reward model): an agent trajectory (a node update holding
``"messages"``) by message; code (a fenced block, or text that parses as Python) by
top-level statement, or by the statements of its body when it is one function or class;
other text by non-empty paragraph. At most ``max_steps`` prefixes are judged (evenly spread,
the whole answer always last). The verdict's score is the **minimum** prefix score (one
wrong step spoils the answer) and ``details["steps"]`` holds the score of each prefix.

``passed = score >= threshold``. ``details["tokens"]`` counts the judge's prompt and
generated tokens (``{"in", "out"}``) and ``details["requests"]`` its requests.

Example:
    >>> yes_share([TokenLogprob("Yes", -0.2, (("Yes", -0.2), (" no", -1.8), ("yes", -3.0)))])
    0.8...
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langgraph_scaling.backends._protocol import Backend, Sample, SampleRequest
from langgraph_scaling.confidence import TokenLogprob
from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers._one_sample import one_sample
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["DEFAULT_PROMPT", "DEFAULT_STEP_PROMPT", "JudgeVerifier", "split_steps", "yes_share"]

DEFAULT_PROMPT = (
    "Here is a task and a candidate answer.\n\nTask:\n{task}\n\nCandidate answer:\n{answer}\n\n"
    "Is the candidate answer a correct and complete solution to the task? "
    "Reply with one word: Yes or No."
)
"""The whole-answer question (``{task}`` and ``{answer}`` are filled in)."""

DEFAULT_STEP_PROMPT = (
    "Here is a task and the beginning of a candidate answer.\n\nTask:\n{task}\n\n"
    "Beginning of the answer:\n{answer}\n\n"
    "Is everything in this beginning correct so far, with no mistake? "
    "Reply with one word: Yes or No."
)
"""The question asked of each prefix with ``per_step=True``."""

_PARAGRAPH = re.compile(r"\n\s*\n")
_TOKEN_JUNK = "Ġ▁ \t\n"  # byte-level BPE and sentencepiece word markers, spaces


def yes_share(logprobs: Sequence[TokenLogprob]) -> float | None:
    """``p(yes) / (p(yes) + p(no))`` from the first token's alternatives; ``None`` if neither.

    Example:
        >>> yes_share([TokenLogprob("Maybe", -0.1, (("Maybe", -0.1),))]) is None
        True
    """
    first = logprobs[0]
    alternatives = dict(first.top)
    alternatives.setdefault(first.token, first.logprob)
    mass = {"yes": 0.0, "no": 0.0}
    for token, logprob in alternatives.items():
        word = token.strip(_TOKEN_JUNK).lower()
        if word in mass and math.isfinite(logprob):
            mass[word] += math.exp(logprob)
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total > 0 else None


def split_steps(candidate: Candidate, *, max_steps: int | None = None) -> list[str]:
    """The prefixes of ``candidate`` to judge, shortest first, the whole answer last.

    Example:
        >>> split_steps(Candidate(index=0, text="First.\\n\\nSecond."))
        ['First.', 'First.\\n\\nSecond.']
    """
    messages = _trajectory(candidate)
    if messages:
        rendered = [_render(m) for m in messages]
        prefixes = ["\n\n".join(rendered[: i + 1]) for i in range(len(rendered))]
    else:
        text = _answer(candidate)
        prefixes = _code_prefixes(text) or _paragraph_prefixes(text)
    if max_steps is not None and len(prefixes) > max_steps:
        n = len(prefixes)
        picks = sorted({round((k + 1) * n / max_steps) - 1 for k in range(max_steps)})
        prefixes = [prefixes[i] for i in picks]
    return prefixes or [""]


def _trajectory(candidate: Candidate) -> list[BaseMessage]:
    update = candidate.update
    if isinstance(update, Mapping):
        messages = update.get("messages")
        if isinstance(messages, Sequence) and not isinstance(messages, str):
            return [m for m in messages if isinstance(m, BaseMessage)]
    return []


def _code_prefixes(text: str) -> list[str]:
    """Prefixes at statement boundaries when ``text`` is (or holds fenced) Python."""
    code = extract_python(text).strip("\n")
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    body: list[ast.stmt] = tree.body
    if len(body) == 1 and isinstance(
        body[0], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ):
        body = body[0].body
    ends = sorted({s.end_lineno for s in body if s.end_lineno is not None})
    lines = code.splitlines()
    if not ends:
        return []
    ends[-1] = len(lines)  # the last prefix is the whole answer
    fenced = code != text.strip("\n")
    return [
        f"```python\n{chr(10).join(lines[:end])}\n```" if fenced else "\n".join(lines[:end])
        for end in ends
    ]


def _paragraph_prefixes(text: str) -> list[str]:
    paragraphs = [p.strip() for p in _PARAGRAPH.split(text) if p.strip()]
    return ["\n\n".join(paragraphs[: i + 1]) for i in range(len(paragraphs))]


def _answer(candidate: Candidate) -> str:
    """The candidate as the judge reads it: its text, else its tool calls, else its update."""
    if candidate.text.strip():
        return candidate.text
    if candidate.tool_calls:
        calls = [{"name": c["name"], "args": c.get("args", {})} for c in candidate.tool_calls]
        return json.dumps(calls, default=str)
    return "" if candidate.update is None else str(candidate.update)


def _render(message: BaseMessage) -> str:
    role = {
        HumanMessage: "User",
        AIMessage: "Assistant",
        SystemMessage: "System",
        ToolMessage: "Tool result",
    }.get(type(message), message.type)
    text = str(message.text)
    if isinstance(message, AIMessage) and message.tool_calls:
        calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
        text = f"{text}\n(tool calls: {json.dumps(calls, default=str)})".strip()
    return f"{role}: {text}"


def _task(context: VerifyContext) -> str:
    extra = context.extras.get("task")
    if isinstance(extra, str) and extra.strip():
        return extra
    shown = [m for m in context.messages if not isinstance(m, SystemMessage)]
    if len(shown) == 1 and isinstance(shown[0], HumanMessage):
        return shown[0].text
    return "\n\n".join(_render(m) for m in shown)


class JudgeVerifier:
    """Scores a candidate by a model's probability that it is correct (see the module doc).

    Args:
        backend: the judging model (any :class:`Backend` that returns log-probabilities).
        prompt: the whole-answer question (fields ``{task}``, ``{answer}``).
        step_prompt: the question asked of each prefix with ``per_step=True``.
        threshold: the score from which a candidate passes.
        per_step: judge every prefix; the score is the minimum.
        max_steps: at most this many prefixes are judged.
        max_concurrency: prefixes judged at once.
        top_logprobs: alternatives asked for at the first token.
        name: the verifier's name in verdicts.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> class Judge:  # says "Yes" with p=0.75 and "No" with p=0.25
        ...     name = "judge"
        ...     async def sample(self, request, emit):
        ...         top = (("Yes", math.log(0.75)), ("No", math.log(0.25)))
        ...         await emit(Sample(index=0, message=AIMessage("Yes"), tokens_out=1,
        ...                           logprobs=(TokenLogprob("Yes", top[0][1], top),)))
        >>> v = JudgeVerifier(Judge())
        >>> verdict = anyio.run(v.verify, Candidate(index=0, text="4"), VerifyContext())
        >>> round(verdict.score, 2), verdict.passed
        (0.75, True)
    """

    def __init__(
        self,
        backend: Backend,
        *,
        prompt: str = DEFAULT_PROMPT,
        step_prompt: str = DEFAULT_STEP_PROMPT,
        threshold: float = 0.5,
        per_step: bool = False,
        max_steps: int = 16,
        max_concurrency: int = 8,
        top_logprobs: int = 20,
        name: str = "judge",
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError("JudgeVerifier.threshold", threshold, "must be in [0, 1]")
        if max_steps < 1:
            raise ConfigError("JudgeVerifier.max_steps", max_steps, "must be at least 1")
        if max_concurrency < 1:
            raise ConfigError("JudgeVerifier.max_concurrency", max_concurrency, "must be >= 1")
        if top_logprobs < 2:
            raise ConfigError("JudgeVerifier.top_logprobs", top_logprobs, "must be at least 2")
        self.backend = backend
        self.prompt = prompt
        self.step_prompt = step_prompt
        self.threshold = threshold
        self.per_step = per_step
        self.max_steps = max_steps
        self.max_concurrency = max_concurrency
        self.top_logprobs = top_logprobs
        self._name = name

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Ask the judge about the candidate (or each of its prefixes)."""
        task = _task(context)
        if self.per_step:
            prefixes = split_steps(candidate, max_steps=self.max_steps)
            prompts = [self.step_prompt.format(task=task, answer=p) for p in prefixes]
        else:
            prompts = [self.prompt.format(task=task, answer=_answer(candidate))]
        judged = await self._ask_all(prompts)
        scores = [0.5 if share is None else share for share, _ in judged]
        score = min(scores)
        details: dict[str, Any] = {
            "tokens": {
                "in": sum(s.tokens_in for _, s in judged),
                "out": sum(s.tokens_out for _, s in judged),
            },
            "requests": len(judged),
        }
        if any(share is None for share, _ in judged):
            details["undecided"] = True
        if self.per_step:
            details["steps"] = scores
            weakest = scores.index(score)
            feedback = (
                f"The judge's lowest step score is {score:.2f} "
                f"(step {weakest + 1} of {len(scores)})."
            )
        else:
            feedback = f"The judge gives p(yes) = {score:.2f}."
        return Verdict(
            verifier=self.name,
            passed=score >= self.threshold,
            score=score,
            feedback=feedback,
            details=details,
        )

    async def _ask_all(self, prompts: list[str]) -> list[tuple[float | None, Sample]]:
        """Judge every prompt, at most ``max_concurrency`` at once; the first error raises."""
        if len(prompts) == 1:
            return [await self._ask(prompts[0])]
        results: list[tuple[float | None, Sample] | None] = [None] * len(prompts)
        errors: list[Exception] = []
        limiter = anyio.CapacityLimiter(self.max_concurrency)

        async def one(i: int) -> None:
            async with limiter:
                try:
                    results[i] = await self._ask(prompts[i])
                except Exception as exc:  # raised below as itself, not in a group
                    errors.append(exc)
                    tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            for i in range(len(prompts)):
                tg.start_soon(one, i)
        if errors:
            raise errors[0]
        return [r for r in results if r is not None]

    async def _ask(self, prompt: str) -> tuple[float | None, Sample]:
        request = SampleRequest(
            messages=[HumanMessage(prompt)],
            n=1,
            seeds=[0],
            temperature=0.0,
            max_tokens=1,
            logprobs=self.top_logprobs,
        )
        got = [await one_sample(self.backend, request, self.name, "did not answer")]
        if not got[0].logprobs:
            raise VerifierError(
                f"{self.name}: backend {self.backend.name!r} returned no log-probabilities; "
                "the judge scores by p(yes) and needs a backend that gives them."
            )
        return yes_share(got[0].logprobs), got[0]
