"""Peers in their own environment: DSPy ``BestOfN`` / ``Refine`` and its_hub ``BestOfN``.

Runs in a separate virtual environment that has ``dspy`` and ``its-hub`` (they are not
dependencies of this package), driven by ``peers_langgraph_send.py --peers-python ...``: it
reads a job file (server URL, k, problems with the coding agent's prompt and the visible
tests) and writes each peer's chosen answer, tokens and wall time. The parent judges the
answers with the hidden tests, so all variants are judged alike.

The reward both peers get is the visible tests' pass fraction, run here in a plain
subprocess (not the package's sandbox: the peers have none).

* ``its_hub``: ``BestOfN(orm)`` over ``OpenAICompatibleLanguageModel`` (k concurrent
  requests, ORM = visible-test fraction, argmax);
* ``dspy``: ``dspy.BestOfN(dspy.Predict(...), N=k, reward_fn, threshold=1.0)`` over
  ``dspy.LM("openai/...")`` (DSPy's own prompt format; BestOfN samples at temperature 1.0
  whatever the LM says, stops at the first rollout that reaches the threshold, and runs its
  rollouts one after another);
* ``dspy_refine``: ``dspy.Refine`` with the same module, reward and threshold: rollouts one
  after another, and after each one below the threshold an extra LM call (``OfferFeedback``)
  writes advice that the next rollout gets as a hint. It sees the reward's value and code,
  not the failing tests.

Example:
    $ /tmp/peers-venv/bin/python benchmarks/peers_dspy_its_hub.py job.json out.json
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HARNESS = """
import sys
src = open(sys.argv[1]).read()
tests = [t for t in open(sys.argv[2]).read().splitlines() if t.strip()]
ns = {"__name__": "solution"}
try:
    exec(compile(src, "solution.py", "exec"), ns)
except BaseException:
    print(f"0/{len(tests)}"); sys.exit()
ok = 0
for t in tests:
    try:
        exec(t, ns); ok += 1
    except BaseException:
        pass
print(f"{ok}/{len(tests)}")
"""


def extract_python(text: str) -> str:
    """The first fenced python block, else the text (as the package reads answers)."""
    if "```" not in text:
        return text
    parts = text.split("```")
    for body in parts[1::2]:
        head, _, rest = body.partition("\n")
        if head.strip() in ("python", "py", ""):
            return rest
    return parts[1]


def visible_score(problem: dict[str, Any], text: str) -> float:
    """Fraction of visible asserts the answer passes (subprocess, 10 s)."""
    code = f"{problem['setup']}\n\n{extract_python(text)}"
    with tempfile.TemporaryDirectory() as d:
        src, tests = Path(d, "s.py"), Path(d, "t.py")
        src.write_text(code)
        tests.write_text(problem["visible_tests"])
        try:
            out = subprocess.run(
                [sys.executable, "-c", HARNESS, str(src), str(tests)],
                capture_output=True,
                text=True,
                timeout=10,
                cwd=d,
                check=False,
            ).stdout.strip()
            ok, total = (int(x) for x in out.split("/"))
        except (subprocess.TimeoutExpired, ValueError):
            return 0.0
    return ok / total if total else 1.0


def run_its_hub(job: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    from its_hub import AbstractOutcomeRewardModel, BestOfN
    from its_hub.core.lms.openai_lm import OpenAICompatibleLanguageModel

    class VisibleTests(AbstractOutcomeRewardModel):
        def score(self, messages: Any, **kwargs: Any) -> Any:
            return [visible_score(problem, conv[-1].content or "") for conv in messages]

        async def ascore(self, messages: Any, orchestrator: Any = None, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.score, messages)

    lm = OpenAICompatibleLanguageModel(
        endpoint=job["url"],
        api_key="EMPTY",
        model_name=job["model"],
        temperature=0.8,
        max_tokens=512,
    )
    result = asyncio.run(
        BestOfN(VisibleTests()).ainfer(
            lm, problem["messages"], budget=job["k"], return_response_only=False
        )
    )
    usage = result.usage
    return {
        "text": result.the_one.get("content") or "",
        "tokens_in": getattr(usage, "prompt_tokens", 0),
        "tokens_out": getattr(usage, "completion_tokens", 0),
        "samples": job["k"],
    }


def run_dspy(
    job: dict[str, Any], problem: dict[str, Any], *, refine: bool = False
) -> dict[str, Any]:
    import dspy

    lm = dspy.LM(
        f"openai/{job['model']}",
        api_base=job["url"],
        api_key="EMPTY",
        temperature=0.8,
        max_tokens=512,
        cache=False,
    )
    sig = dspy.Signature("function_stub -> code", problem["messages"][0]["content"])
    calls: list[int] = []

    def reward(args: dict[str, Any], pred: Any) -> float:
        calls.append(1)
        return visible_score(problem, pred.code)

    wrapper = dspy.Refine if refine else dspy.BestOfN
    module = wrapper(dspy.Predict(sig), N=job["k"], reward_fn=reward, threshold=1.0)
    from dspy.clients.base_lm import GLOBAL_HISTORY

    seen = len(GLOBAL_HISTORY)
    with dspy.context(lm=lm):
        try:
            pred = module(function_stub=problem["prompt"])
        except Exception as exc:  # every rollout failed to parse: no answer, a failed problem
            pred, note = None, f"{type(exc).__name__}: {exc}"[:300]
        else:
            note = None if pred is not None else "no rollout parsed"
    history = GLOBAL_HISTORY[seen:]  # rollouts call copies of ``lm`` (temperature 1.0)
    tin = sum((h.get("usage") or {}).get("prompt_tokens", 0) for h in history)
    tout = sum((h.get("usage") or {}).get("completion_tokens", 0) for h in history)
    text = getattr(pred, "code", None) or ""
    return {
        "text": text,
        "tokens_in": tin,
        "tokens_out": tout,
        "samples": len(calls),  # candidates rewarded (Refine's advice calls are not samples)
        "lm_calls": len(history),
        "note": note,
    }


def run_dspy_refine(job: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    return run_dspy(job, problem, refine=True)


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text())
    peers = {"its_hub": run_its_hub, "dspy": run_dspy, "dspy_refine": run_dspy_refine}
    out: dict[str, Any] = {}
    for problem in job["problems"]:
        for name in job["peers"]:
            t = time.monotonic()
            try:
                res = peers[name](job, problem)
            except Exception as exc:  # a peer that breaks is reported, not fatal
                res = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            res["wall_s"] = round(time.monotonic() - t, 2)
            out.setdefault(name, {})[problem["task_id"]] = res
            Path(sys.argv[2]).write_text(json.dumps(out, indent=1))  # partial results survive
            print(
                name, problem["task_id"], {k: v for k, v in res.items() if k != "text"}, flush=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
