"""What one scaled step produced: candidates, verdicts and the step report.

``Candidate`` is the mutable working record the engine fills while a step runs;
``Verdict``, ``RouterDecision`` and ``StepReport`` are frozen and JSON-serialisable, so the
report can be streamed (``stream_mode="custom"``) and stored without the candidates' bulk.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> Verdict(verifier="tests", passed=True, score=1.0).passed
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessage
from pydantic import BaseModel, ConfigDict, Field

from langgraph_scaling.confidence import TokenLogprob, confidence

__all__ = ["Candidate", "CandidateSummary", "RouterDecision", "StepReport", "Verdict"]

CandidateStatus = Literal["pending", "ok", "failed", "cancelled", "timeout"]


class Verdict(BaseModel):
    """One verifier's judgement of one candidate.

    Example:
        >>> Verdict(verifier="schema", passed=False, score=0.0, feedback="unknown tool 'x'")
        Verdict(verifier='schema', passed=False, score=0.0, feedback="unknown tool 'x'", ...)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    verifier: str
    """Name of the verifier that produced this verdict."""
    passed: bool
    """Whether the candidate passed this check."""
    score: float = Field(ge=0.0, le=1.0)
    """Graded result in [0, 1] (e.g. the fraction of tests passed)."""
    feedback: str = ""
    """Human-readable explanation, fit to feed back to the model in a refinement round."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Verifier-specific, JSON-serialisable details (tests passed, limits hit, ...)."""

    def __repr__(self) -> str:
        return (
            f"Verdict(verifier={self.verifier!r}, passed={self.passed}, score={self.score}, "
            f"feedback={self.feedback!r}, ...)"
        )


@dataclass
class Candidate:
    """One branch's output while a step runs.

    Exactly one of ``message`` (model branches) or ``update`` (node branches) is set on a
    finished branch. ``text`` is the message's text, or empty for node updates without one.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> c = Candidate(index=0, message=AIMessage("42"), text="42", status="ok")
        >>> c.passed
        True
    """

    index: int
    """Branch number within the step (0-based, across waves)."""
    wave: int = 0
    """Which wave of sampling produced it."""
    seed: int | None = None
    """Sampling seed given to the model, where it takes one."""
    round: int = 0
    """Refinement round (0 for an original sample)."""
    status: CandidateStatus = "pending"
    """Outcome of the branch itself (not of verification)."""
    message: AIMessage | None = None
    """The branch's model output."""
    update: Any = None
    """The branch's state update (node branches)."""
    text: str = ""
    """Plain text of the output, used by text votes and code verifiers."""
    tokens_in: int = 0
    """Prompt tokens this branch added (0 when it shared a prompt already counted)."""
    tokens_out: int = 0
    """Generated tokens."""
    finish_reason: str | None = None
    """Why generation stopped (``stop``, ``length``, ``tool_calls``, ...)."""
    error: str | None = None
    """What went wrong, for failed, cancelled or timed-out branches."""
    duration_s: float = 0.0
    """Seconds from launch to finish."""
    verdicts: list[Verdict] = field(default_factory=list)
    """Every verifier's verdict on this candidate."""
    vote_key: str | None = None
    """Normalised answer used for voting."""
    logprobs: tuple[TokenLogprob, ...] | None = None
    """Per-token log-probabilities, when the backend gave them."""

    @property
    def confidence(self) -> dict[str, float]:
        """Token-confidence measures (:func:`~langgraph_scaling.confidence.confidence`);
        ``{}`` without log-probabilities."""
        return confidence(self.logprobs) if self.logprobs else {}

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The message's tool calls (``[]`` for text answers and node updates)."""
        if self.message is None:
            return []
        return [dict(call) for call in self.message.tool_calls]

    @property
    def passed(self) -> bool:
        """True when the branch finished and every verifier passed it (vacuously with none)."""
        return self.status == "ok" and all(v.passed for v in self.verdicts)

    @property
    def score(self) -> float:
        """Mean verifier score; 1.0 with no verifiers, 0.0 for an unfinished branch."""
        if self.status != "ok":
            return 0.0
        if not self.verdicts:
            return 1.0
        return sum(v.score for v in self.verdicts) / len(self.verdicts)

    @property
    def feedback(self) -> str:
        """Feedback of every failed verdict, one paragraph each."""
        return "\n\n".join(
            f"[{v.verifier}] {v.feedback}".strip() for v in self.verdicts if not v.passed
        )

    def summary(self, *, preview_chars: int = 200) -> CandidateSummary:
        """A compact, serialisable summary for the step report."""
        preview = self.text if len(self.text) <= preview_chars else self.text[:preview_chars] + "…"
        return CandidateSummary(
            index=self.index,
            wave=self.wave,
            round=self.round,
            seed=self.seed,
            status=self.status,
            error=self.error,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            finish_reason=self.finish_reason,
            duration_s=round(self.duration_s, 4),
            vote_key=self.vote_key,
            passed=self.passed,
            score=self.score,
            verdicts=list(self.verdicts),
            tool_calls=[{"name": c["name"], "args": c.get("args", {})} for c in self.tool_calls],
            preview=preview,
            confidence=self.confidence,
        )


class CandidateSummary(BaseModel):
    """A candidate as the report keeps it: no full message, no state update."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    wave: int
    round: int
    seed: int | None
    status: CandidateStatus
    error: str | None
    tokens_in: int
    tokens_out: int
    finish_reason: str | None
    duration_s: float
    vote_key: str | None
    passed: bool
    score: float
    verdicts: list[Verdict]
    tool_calls: list[dict[str, Any]]
    preview: str
    confidence: dict[str, float] = Field(default_factory=dict)


class RouterDecision(BaseModel):
    """How many branches a step gets, in which waves, and why.

    Example:
        >>> RouterDecision(router="fixed", waves=(4,), reason="fixed(4)").total
        4
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    router: str
    """Name of the router that decided."""
    waves: tuple[int, ...]
    """Branches per wave; later waves run only while the step has not settled."""
    reason: str
    """One sentence a person can read: why this many branches."""
    stop_on_pass: bool = False
    """Stop escalating as soon as a candidate passes every verifier."""
    agreement: float | None = None
    """Stop escalating when the top vote share reaches this fraction."""

    @property
    def total(self) -> int:
        """Branches planned over all waves."""
        return sum(self.waves)


class StepReport(BaseModel):
    """The compact account of one scaled step, streamed and kept after it finishes.

    Example:
        >>> r = StepReport(step="agent", selection="vote", winner=None, reason="no candidate")
        >>> r.launched
        0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: str
    """Step name (node name, or the wrapper's ``name``)."""
    selection: str
    """Selection method used."""
    winner: int | None
    """Index of the committed candidate, or ``None`` when none was committed."""
    reason: str
    """Why the winner won (vote counts, scores, first to pass ...)."""
    winner_passed: bool | None = None
    """Whether the winner passed every verifier (``None`` without verifiers)."""
    router: RouterDecision | None = None
    """The router's decision."""
    launched: int = 0
    finished: int = 0
    failed: int = 0
    cancelled: int = 0
    waves_run: int = 0
    refine_rounds: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    wall_s: float = 0.0
    deadline_hit: bool = False
    """True when ``max_seconds`` cut the step short."""
    notes: list[str] = Field(default_factory=list)
    """Budget fallbacks and other things the user should know."""
    budget_left: dict[str, float | int | None] = Field(default_factory=dict)
    """What was left of the step's budget (``None`` where unlimited)."""
    votes: dict[str, int] = Field(default_factory=dict)
    """Vote count per key (keys shortened)."""
    candidates: list[CandidateSummary] = Field(default_factory=list)
