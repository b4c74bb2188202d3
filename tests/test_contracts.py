"""Contracts of issue 13: what composed verifiers let through, what errors carry, and the
optional backend lifecycle.

- an ``interrupt()`` inside a verifier composed with ``AllOf``/``Weighted`` reaches
  LangGraph: the run interrupts (it is not a failing verdict), and the answer reaches it;
- a ``SandboxError`` inside ``AllOf``/``Weighted`` propagates, with its stage and program;
- a ``CallableVerifier`` whose function returns garbage raises ``ConfigError``, which the
  engine records as a failing verdict (the step goes on);
- ``BackendError``/``SandboxError`` carry attributes, defaulted so plain raises still work;
- ``start_backend``/``aclose_backend`` call a backend's lifecycle where it has one.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from langgraph_scaling import CallableVerifier, ScalingPolicy, collect_reports, scaled_node
from langgraph_scaling.backends._protocol import (
    Closable,
    ManagedBackend,
    Startable,
    aclose_backend,
    start_backend,
)
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.backends.vllm import VLLMBackend
from langgraph_scaling.engine import run_step
from langgraph_scaling.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    SandboxError,
)
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sampling import BackendSampler, as_backend
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers import (
    AllOf,
    UnitTestVerifier,
    Verifier,
    VerifyContext,
    Weighted,
)
from tests.fakes import ScriptedChatModel


class _State(TypedDict):
    answer: str


def _ok(name: str = "ok") -> CallableVerifier:
    return CallableVerifier(lambda c: True, name=name)


def _asking() -> CallableVerifier:
    def approve(candidate: Candidate) -> tuple[bool, str]:
        reply = interrupt("accept the answer?")
        return reply == "yes", f"the reviewer said {reply}"

    return CallableVerifier(approve, name="human")


def _composed(kind: str, inner: Verifier) -> Verifier:
    if kind == "AllOf":
        return AllOf(_ok(), inner)
    return Weighted({_ok(): 1.0, inner: 1.0})


@pytest.mark.parametrize("kind", ["AllOf", "Weighted"])
async def test_an_interrupt_in_a_composed_verifier_interrupts_the_run(kind: str) -> None:
    # One branch: with k branches each branch's verifier asks in turn (k questions per step).
    policy = ScalingPolicy(router=1, verifiers=[_composed(kind, _asking())], selection="best")
    g = StateGraph(_State)
    g.add_node("solve", scaled_node(lambda s: {"answer": "42"}, policy=policy, name="solve"))
    g.add_edge(START, "solve")
    graph = g.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": kind}}

    out = await graph.ainvoke({"answer": ""}, config)
    assert [i.value for i in out["__interrupt__"]] == ["accept the answer?"]
    assert out["answer"] == ""  # nothing committed: the step did not finish

    with collect_reports() as reports:
        out = await graph.ainvoke(Command(resume="yes"), config)
    assert "__interrupt__" not in out
    assert out["answer"] == "42"
    (report,) = reports
    assert report.winner_passed is True  # the verdict is the reviewer's answer, not a crash


class _BrokenBox:
    name = "broken_box"

    async def verify(self, candidate: Candidate, context: object) -> Verdict:
        raise SandboxError("The sandbox launcher failed: disk full", stage="launcher", argv0="py")


@pytest.mark.parametrize("kind", ["AllOf", "Weighted"])
async def test_a_sandbox_error_in_a_composed_verifier_propagates(kind: str) -> None:
    verifier = _composed(kind, _BrokenBox())
    with pytest.raises(SandboxError, match="disk full") as info:
        await verifier.verify(Candidate(index=0, text="x", status="ok"), VerifyContext())
    assert (info.value.stage, info.value.argv0) == ("launcher", "py")


@pytest.mark.slow
async def test_a_real_broken_sandbox_inside_all_of_fails_the_step_not_the_candidate() -> None:
    tests = UnitTestVerifier("assert f() == 1", sandbox=Sandbox(python="/nonexistent/python"))
    policy = ScalingPolicy(router=2, verifiers=[AllOf(_ok(), tests)], selection="best")
    model = ScriptedChatModel(script=["```python\ndef f():\n    return 1\n```"])
    sampler = BackendSampler(as_backend(model), [HumanMessage("write f")], policy)
    with pytest.raises(SandboxError, match="/nonexistent/python") as info:
        await run_step(sampler, policy)
    assert (info.value.stage, info.value.argv0) == ("probe", "/nonexistent/python")


async def test_a_callable_returning_garbage_is_a_config_error_and_a_failed_verdict() -> None:
    odd = CallableVerifier(lambda c: {"ok": True}, name="odd")
    with pytest.raises(ConfigError, match=r"CallableVerifier\('odd'\)\.fn's result=\{'ok': True\}"):
        await odd.verify(Candidate(index=0, status="ok"), VerifyContext())

    policy = ScalingPolicy(router=2, verifiers=[odd], keep_candidates=True)
    model = ScriptedChatModel(script=["4"])
    outcome = await run_step(
        BackendSampler(as_backend(model), [HumanMessage("2+2")], policy), policy
    )
    assert outcome.winner.text == "4"  # the step went on
    assert all(not c.passed for c in outcome.candidates)
    assert "ConfigError" in outcome.candidates[0].verdicts[0].feedback
    assert "not dict" in outcome.candidates[0].verdicts[0].feedback


def test_backend_errors_carry_the_backend_and_url_with_defaults() -> None:
    plain = BackendError("The engine stopped.")
    assert (plain.backend, plain.url, str(plain)) == (None, None, "The engine stopped.")
    gone = BackendUnavailableError("gone", backend="openai", url="http://h/v1")
    assert (gone.backend, gone.url) == ("openai", "http://h/v1")
    slow = BackendTimeoutError("http://h/v1", seconds=3, max_tokens=8, n=2)
    assert (slow.backend, slow.url, slow.seconds) == (None, "http://h/v1", 3)
    assert str(slow).startswith("The server at http://h/v1 accepted the connection")


def test_sandbox_errors_default_to_no_stage() -> None:
    err = SandboxError("The sandbox cannot run.")
    assert (err.stage, err.argv0, str(err)) == (None, None, "The sandbox cannot run.")


class _Engine:
    name = "engine"

    def __init__(self) -> None:
        self.events: list[str] = []

    async def sample(self, request: Any, emit: Any) -> None:
        return None

    async def start(self) -> None:
        self.events.append("start")

    async def aclose(self) -> None:
        await anyio.sleep(0.01)  # a cancelled caller must not cut this short
        self.events.append("aclose")


async def test_lifecycle_helpers_call_what_is_there() -> None:
    engine = _Engine()
    assert isinstance(engine, ManagedBackend)
    assert await start_backend(engine) is True
    with anyio.CancelScope() as scope:
        scope.cancel()
        assert await aclose_backend(engine) is True
    assert engine.events == ["start", "aclose"]

    plain = as_backend(ScriptedChatModel(script=["x"]))
    assert not isinstance(plain, Startable | Closable)
    assert await start_backend(plain) is False
    assert await aclose_backend(plain) is False


def test_the_shipped_backends_declare_their_lifecycle() -> None:
    assert issubclass(VLLMBackend, Startable) and issubclass(VLLMBackend, Closable)
    assert issubclass(OpenAIServerBackend, Closable)
    assert not issubclass(OpenAIServerBackend, Startable)  # a server is started elsewhere
