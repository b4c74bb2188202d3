"""A shared sample pool for the scaling and router benchmarks, and replaying it.

The pool holds, for every problem, N candidates sampled once (one ``n=N`` request at
temperature 0.8) plus the greedy sample, each with its visible-test verdict, its hidden-test
result, its AST vote key and its behaviour key. The benchmarks then rebuild package
:class:`~langgraph_scaling.report.Candidate` objects from the pool and run the package's own
selection (``select``) or whole engine (``run_step`` over :class:`ReplaySampler`), so every
curve measures the package on the same samples.

Example:
    >>> pool = synthetic_pool(problems=2, n=4, seed=0)
    >>> len(pool), len(pool[0]["samples"])
    (2, 4)
    >>> cands = candidates(pool[0]["samples"], key="code", verified=True)
    >>> [c.index for c in cands]
    [0, 1, 2, 3]
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import anyio
from langchain_core.messages import AIMessage

from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.protocol import VerifyContext

RESULTS = Path(__file__).parent / "results"
POOL = RESULTS / "scaling.json"
VISIBLE = "unit_tests"
"""Verifier name the visible-test verdicts carry (as ``UnitTestVerifier`` names them)."""

KeyName = Literal["code", "behavior"]


def load(path: Path = POOL) -> dict[str, Any]:
    """The pool file (``meta``, ``pool`` and, once analysed, ``results``)."""
    return json.loads(path.read_text(encoding="utf-8"))


def save(data: dict[str, Any], path: Path = POOL) -> None:
    """Write the pool file (pretty, so diffs stay readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def candidates(
    samples: Sequence[dict[str, Any]], *, key: KeyName = "code", verified: bool = True
) -> list[Candidate]:
    """Package candidates from pool samples, indexed in the given (sample) order.

    ``verified`` attaches the stored visible-test verdict; without it the candidates carry
    no verdicts, as in a ``vote@k`` policy that runs no tests.
    """
    out = []
    for i, s in enumerate(samples):
        verdicts = (
            [Verdict(verifier=VISIBLE, passed=s["visible_passed"], score=s["visible_score"])]
            if verified
            else []
        )
        out.append(
            Candidate(
                index=i,
                status=s.get("status", "ok"),
                text=s["text"],
                tokens_out=s["tokens_out"],
                verdicts=verdicts,
                vote_key=s["code_key"] if key == "code" else s["behavior_key"],
            )
        )
    return out


class StoredVerifier:
    """Returns the visible-test verdict stored in the pool for a candidate's text."""

    name = VISIBLE

    def __init__(self, samples: Sequence[dict[str, Any]]) -> None:
        self._by_text = {s["text"]: s for s in samples}

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        s = self._by_text[candidate.text]
        return Verdict(
            verifier=self.name,
            passed=s["visible_passed"],
            score=s["visible_score"],
            feedback=s.get("visible_feedback", ""),
        )


class ReplaySampler:
    """A sampler that hands out pool samples in order, wave after wave.

    Each wave is billed like one ``n``-request: the prompt's tokens on its first sample.
    ``reviser`` (e.g. a ``BackendSampler`` on a live engine) makes ``refine`` possible.
    """

    def __init__(
        self,
        samples: Sequence[dict[str, Any]],
        prompt_tokens: int,
        *,
        reviser: Any = None,
    ) -> None:
        self.samples = list(samples)
        self.prompt_tokens = prompt_tokens
        self.next = 0
        self._reviser = reviser
        if reviser is not None:
            self.revise = reviser.revise

    async def sample(
        self, n: int, seeds: Sequence[int], emit: Any, *, wave: int, limiter: Any
    ) -> None:
        for local in range(n):
            if self.next >= len(self.samples):
                raise RuntimeError(f"the pool holds only {len(self.samples)} samples")
            s = self.samples[self.next]
            self.next += 1
            if s.get("status", "ok") != "ok":
                await emit(local, Candidate(index=local, status="failed", error="no answer"))
                continue
            await emit(
                local,
                Candidate(
                    index=local,
                    status="ok",
                    message=AIMessage(s["text"]),
                    text=s["text"],
                    tokens_in=self.prompt_tokens if local == 0 else 0,
                    tokens_out=s["tokens_out"],
                    finish_reason=s.get("finish_reason"),
                ),
            )
            await anyio.lowlevel.checkpoint()


def hidden_of(samples: Sequence[dict[str, Any]]) -> dict[str, bool]:
    """Hidden-test result by candidate text (equal texts judge alike)."""
    return {s["text"]: bool(s["hidden_passed"]) for s in samples}


def synthetic_pool(*, problems: int = 3, n: int = 4, seed: int = 0) -> list[dict[str, Any]]:
    """A small made-up pool with the real pool's shape (tests and smoke runs).

    Each problem has a few distinct answers; an answer passes the hidden tests with some
    probability and passes the visible tests whenever it passes the hidden ones (and
    sometimes when it does not), as visible examples are weaker than hidden tests.
    """
    rng = random.Random(seed)
    pool = []
    for p in range(problems):
        answers = []
        for a in range(3):
            hidden = rng.random() < 0.4
            visible = hidden or rng.random() < 0.3
            answers.append((f"def f{p}():\n    return {a}\n", hidden, visible))
        samples = []
        for _ in range(n):
            text, hidden, visible = rng.choice(answers)
            samples.append(
                {
                    "text": text,
                    "tokens_out": rng.randint(50, 200),
                    "visible_passed": visible,
                    "visible_score": 1.0 if visible else 0.5,
                    "hidden_passed": hidden,
                    "code_key": "code:" + text,
                    "behavior_key": "behaviour:" + text[-3:],
                }
            )
        greedy = dict(samples[0], tokens_in=120)
        pool.append(
            {
                "task_id": f"synthetic/{p}",
                "prompt_chars": 400 + 100 * p,
                "prompt_tokens": 120,
                "samples": samples,
                "greedy": greedy,
            }
        )
    return pool
