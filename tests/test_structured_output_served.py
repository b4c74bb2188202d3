"""``with_structured_output`` on a scaled model over a real ``vllm serve`` of the embedded model.

Once, LangChain's ``tool_choice="any"`` reached the server as a tool named ``any`` (HTTP 400
"The tool specified in tool_choice does not match any of the specified tools"). Now it is
sent as ``"required"``, which vLLM enforces with structured decoding, so every branch calls
the schema's tool and the branches vote on the arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from langgraph_scaling import ScaledChatModel, ScalingPolicy, ToolCallVerifier
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.errors import ConfigError

SERVED = "qwen2.5-coder-0.5b"
PROMPT = "Tom is 31 years old and lives in Oslo. Record this person."


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="the person's first name")
    age: int = Field(description="the person's age in years")
    city: str = Field(description="the city the person lives in")


def scaled(url: str) -> ScaledChatModel:
    policy = ScalingPolicy(
        router=3, seed=7, temperature=0.7, max_new_tokens=64, verifiers=[ToolCallVerifier()]
    )
    return ScaledChatModel(OpenAIServerBackend(url, SERVED), policy=policy)


def assert_voted_and_verified(report: dict[str, Any]) -> None:
    assert (report["launched"], report["finished"], report["failed"]) == (3, 3, 0), report
    assert sum(report["votes"].values()) == 3, report  # every branch's tool call voted
    assert all(key.startswith('tools:[["person"') for key in report["votes"]), report["votes"]
    assert report["winner_passed"] is True, report  # its arguments fit the schema


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("method", [None, "function_calling"], ids=["default", "function_calling"])
async def test_structured_output_through_a_served_model(
    vllm_server_url: str,
    method: str | None,
) -> None:
    options = {} if method is None else {"method": method}
    structured = scaled(vllm_server_url).with_structured_output(Person, include_raw=True, **options)
    out = await structured.ainvoke(PROMPT)

    assert out["parsing_error"] is None
    person = out["parsed"]
    assert isinstance(person, Person)
    assert person.age == 31 and "oslo" in person.city.lower()
    assert_voted_and_verified(out["raw"].response_metadata["scaling"])


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
def test_other_structured_output_methods_are_refused(method: str) -> None:
    model = ScaledChatModel(OpenAIServerBackend("http://127.0.0.1:9/v1", SERVED))
    with pytest.raises(ConfigError, match=rf"method.*'{method}'.*function_calling"):
        model.with_structured_output(Person, method=method)  # type: ignore[arg-type]
