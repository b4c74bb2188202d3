"""Bad configuration fails at construction with a message naming the field and value."""

from __future__ import annotations

from typing import Any

import pytest

from langgraph_scaling import (
    AdaptiveRouter,
    Budget,
    ConfigError,
    FixedRouter,
    ScalingContext,
    ScalingPolicy,
    ToolCallVerifier,
)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_branches": 0}, r"Budget.max_branches=0 is invalid: must be at least 1"),
        ({"max_branches": -3}, r"Budget.max_branches=-3"),
        ({"min_branches": 0}, r"Budget.min_branches=0"),
        ({"max_tokens": 0}, r"Budget.max_tokens=0 is invalid: must be greater than 0"),
        ({"max_seconds": -1.5}, r"Budget.max_seconds=-1.5"),
        ({"max_seconds": "soon"}, r"Budget.max_seconds='soon'"),
        ({"max_cost": 1.0}, r"Budget.max_cost=1.0 is invalid: needs a non-zero price"),
        ({"min_branches": 4, "max_branches": 2}, r"min_branches=4 .*exceeds max_branches=2"),
        ({"price_per_input_token": -1}, r"price_per_input_token=-1"),
        ({"max_branch": 3}, r"Budget.max_branch=3 is invalid: unknown budget field"),
        ({"max_branches": True}, r"Budget.max_branches=True"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_bad_budget_is_rejected_naming_field_and_value(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Budget(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"selection": "majority"}, r"ScalingPolicy.selection='majority'"),
        ({"router": "smart"}, r"ScalingPolicy.router='smart' is invalid: unknown router"),
        ({"router": 0}, r"FixedRouter.n=0"),
        ({"router": object()}, r"ScalingPolicy.router=.* is not a Router"),
        ({"verifiers": [lambda c: True]}, r"ScalingPolicy.verifiers\[0\]=.* is not a verifier"),
        ({"verifiers": "tests"}, r"ScalingPolicy.verifiers='tests'"),
        ({"temperature": -0.1}, r"ScalingPolicy.temperature=-0.1"),
        ({"refine_rounds": 0}, r"ScalingPolicy.refine_rounds=0"),
        ({"max_concurrency": 0}, r"ScalingPolicy.max_concurrency=0"),
        ({"refine_prompt": "fix it"}, r"refine_prompt='fix it' is invalid: must contain"),
        ({"vote_key": "ast"}, r"ScalingPolicy.vote_key='ast'"),
        ({"budget": {"max_branches": 0}}, r"Budget.max_branches=0"),
        ({"budget": 3}, r"ScalingPolicy.budget=3 is invalid: must be a Budget"),
        ({"branches": 3}, r"ScalingPolicy.branches=3 is invalid: unknown policy field"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_bad_policy_is_rejected_naming_field_and_value(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ScalingPolicy(**kwargs)


def test_config_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"Budget\.max_tokens"):
        Budget(max_tokens=-1)


def test_policy_is_frozen() -> None:
    policy = ScalingPolicy()
    with pytest.raises(ValueError, match="frozen"):
        policy.selection = "best"  # type: ignore[misc]


def test_router_shorthands() -> None:
    assert ScalingPolicy(router=3).router == FixedRouter(3)
    assert isinstance(ScalingPolicy(router="adaptive").router, AdaptiveRouter)
    assert ScalingPolicy(verifiers=ToolCallVerifier()).verifiers[0].name == "tool_call_schema"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"schedule": ()}, r"AdaptiveRouter.schedule=\(\)"),
        ({"schedule": (4, 2)}, r"strictly increasing"),
        ({"agreement": 1.5}, r"AdaptiveRouter.agreement=1.5"),
    ],
    ids=["empty", "decreasing", "agreement"],
)
def test_bad_adaptive_router(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        AdaptiveRouter(**kwargs)


def test_budget_merge_validates_override() -> None:
    base = Budget(max_branches=8, max_seconds=30)
    assert base.merged({"max_branches": 2}) == Budget(max_branches=2, max_seconds=30)
    with pytest.raises(ConfigError, match=r"Budget\.max_branches=0"):
        base.merged({"max_branches": 0})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": {"agent": {"max_branches": 0}}}, r"Budget.max_branches=0"),
        ({"steps": {"agent": 4}}, r"ScalingContext.steps\['agent'\]=4"),
        ({"steps": ["agent"]}, r"ScalingContext.steps=\['agent'\]"),
        ({"run_budget": 3}, r"ScalingContext.run_budget=3"),
        ({"difficulty": 2.0}, r"ScalingContext.difficulty=2.0"),
        ({"step": {}}, r"ScalingContext.step=\{\} is invalid: unknown field"),
    ],
    ids=["bad-override", "not-budget", "not-mapping", "run-budget-int", "difficulty", "typo"],
)
def test_bad_context_is_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ScalingContext(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"max_cost": 0.01, "price_per_input_token": float("nan")},
            r"Budget.price_per_input_token=nan is invalid: must be a finite number",
        ),
        ({"max_tokens": 1.5}, r"Budget.max_tokens=1.5 is invalid: must be an integer"),
        ({"max_branches": "2"}, r"Budget.max_branches='2' is invalid: must be an integer"),
        ({"max_seconds": float("inf")}, r"Budget.max_seconds=inf is invalid: must be a finite"),
    ],
    ids=["nan-price", "float-tokens", "str-branches", "inf-seconds"],
)
def test_budget_types_are_checked_by_pydantic_and_reported_as_config_errors(
    kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        Budget(**kwargs)


def test_model_copy_cannot_bypass_validation() -> None:
    """``model_copy(update=...)`` once accepted anything, e.g. a string as a verifier."""
    with pytest.raises(ConfigError, match=r"ScalingPolicy.verifiers\[0\]='x'"):
        ScalingPolicy().model_copy(update={"verifiers": ["x"]})
    with pytest.raises(ConfigError, match=r"Budget.max_branches=0"):
        Budget(max_branches=3).model_copy(update={"max_branches": 0})
    with pytest.raises(ConfigError, match=r"ScalingPolicy.budget=3 is invalid: must be a Budget"):
        ScalingPolicy().with_budget(3)  # type: ignore[arg-type]
    assert ScalingPolicy(router=2).model_copy(update={"temperature": 0.0}).router == FixedRouter(2)


def test_field_docstrings_reach_the_schema() -> None:
    schema = Budget.model_json_schema()
    assert "Most branches" in schema["properties"]["max_branches"]["description"]
