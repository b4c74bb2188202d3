"""Named policies for ``solve`` and ``eval``: ``single``, ``vote@k``, ``best@k`` ...

Example:
    >>> spec = parse_policy("best@4")
    >>> spec.policy.selection, spec.policy.router.n, spec.verify
    ('best', 4, True)
    >>> adaptive = parse_policy("adaptive@8").policy
    >>> adaptive.router.schedule, adaptive.greedy_first
    ((1, 2, 4, 8), True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.routing import AdaptiveRouter

__all__ = ["POLICY_HELP", "PolicySpec", "parse_policies", "parse_policy"]

POLICY_HELP = (
    "single (one greedy sample), vote@K (majority over K, no tests), best@K (K samples, "
    "best visible-test score), first_pass@K (stop at the first that passes the visible tests), "
    "refine@K (best of K, then up to 2 revisions fed by test failures), adaptive@K (waves "
    "1, 2, 4 ... up to K, the first the greedy answer, stopping once one passes), "
    "confidence_vote@K / confidence_filter@K "
    "(votes weighted by token confidence / DeepConf's filter, no tests), generated@K (visible "
    "tests plus tests the model writes, CodeT dual agreement), judge@K (visible tests plus "
    "the model judging p(yes)), combined@K (visible tests, then generated tests, then "
    "agreement, then confidence; branch 0 greedy)"
)
_NAMED = re.compile(
    r"(vote|best|first_pass|refine|adaptive|confidence_vote|confidence_filter|generated|judge"
    r"|combined)@(\d+)"
)


@dataclass(frozen=True)
class PolicySpec:
    """A named policy: the scaling policy, whether visible tests verify candidates, and the
    model-made checks (``generated_tests``, ``judge``) added to them."""

    name: str
    policy: ScalingPolicy
    verify: bool
    signals: tuple[str, ...] = ()


def parse_policy(name: str, *, max_new_tokens: int = 512) -> PolicySpec:
    """The policy called ``name`` (see :data:`POLICY_HELP`)."""
    common = {"max_new_tokens": max_new_tokens, "vote_key": "code"}
    if name == "single":
        return PolicySpec(name, ScalingPolicy(router=1, temperature=0.0, **common), False)
    m = _NAMED.fullmatch(name)
    if m is None or int(m[2]) < 1:
        raise ConfigError("policy", name, f"unknown policy; use {POLICY_HELP}")
    kind, k = m[1], int(m[2])
    if kind in ("vote", "confidence_vote", "confidence_filter"):
        return PolicySpec(name, ScalingPolicy(router=k, selection=kind, **common), False)
    if kind in _SIGNALLED:
        selection, signals, greedy_first = _SIGNALLED[kind]
        common["vote_key"] = "behavior"  # cluster by what the tests saw, not by syntax
        policy = ScalingPolicy(router=k, selection=selection, greedy_first=greedy_first, **common)
        return PolicySpec(name, policy, True, signals)
    if kind == "adaptive":
        schedule = tuple(sorted({min(k, 2**i) for i in range(k.bit_length() + 1)}))
        router = AdaptiveRouter(schedule=schedule, agreement=None)
        policy = ScalingPolicy(router=router, selection="best", greedy_first=True, **common)
        return PolicySpec(name, policy, True)
    if kind == "refine":
        policy = ScalingPolicy(router=k, selection="refine", refine_rounds=2, **common)
        return PolicySpec(name, policy, True)
    return PolicySpec(name, ScalingPolicy(router=k, selection=kind, **common), True)


_SIGNALLED = {
    "generated": ("dual_agreement", ("generated_tests",), False),
    "judge": ("best", ("judge",), False),
    "combined": ("combined", ("generated_tests",), True),
}
"""Policies with model-made checks: (selection, signals, greedy first)."""


def parse_policies(spec: str, *, max_new_tokens: int = 512) -> list[PolicySpec]:
    """Comma-separated policy names."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise ConfigError("--policies", spec, "names no policy")
    return [parse_policy(n, max_new_tokens=max_new_tokens) for n in names]
