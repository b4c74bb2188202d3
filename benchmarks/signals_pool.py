"""Sample the shared pool of the verifier-signals benchmark (``signals.py`` analyses it).

For every problem and both conditions (``visible``: the HumanEval prompt with its ``>>>``
examples, verified by them; ``no_tests``: the same prompt with the examples removed and
nothing to run), one scaled step samples ``n`` branches at T=0.8 with per-token
log-probabilities (top 5), plus the greedy answer. Every answer then gets, on the live
engine and in the sandbox:

- its visible-test verdict (the condition's own verifier: the examples, or ``callable``);
- its hidden-test result (HumanEval's check, judged in the sandbox);
- the ``GeneratedTestsVerifier`` verdict (tests the model wrote once for the problem);
- the ``JudgeVerifier`` score (p(yes) of the same model);
- its token-confidence measures, its AST key and its behaviour key (outputs on the visible
  inputs, where the condition shows them, and on the generated tests).

The pool is saved after every problem; ``--extend`` resumes. Usage::

    .venv/bin/python benchmarks/signals_pool.py --tasks 0-39 --n 16

A second pool with ``--seed 8 --out ...`` draws seeds 8-15: new samples of the same
problems (to check a rule chosen on the first pool), and with the first, a pool of 16
(``signals.py --pool A B`` merges them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import _pool
from _common import machine
from scaling import step, visible_inputs

from langgraph_scaling.report import Candidate
from langgraph_scaling.tasks import (
    CodingTask,
    answer_from_text,
    humaneval_tasks,
    parse_task_ids,
    prompt_messages,
)
from langgraph_scaling.tasks.humaneval import judge
from langgraph_scaling.verifiers.execution import CodeExecutionVerifier
from langgraph_scaling.verifiers.generated_tests import GeneratedTestsVerifier
from langgraph_scaling.verifiers.judge import JudgeVerifier
from langgraph_scaling.verifiers.protocol import VerifyContext

POOL = _pool.RESULTS / "signals.json"
CONDITIONS = ("visible", "no_tests")
_EXAMPLE = re.compile(r"^\s*>>>")


def strip_examples(prompt: str) -> str:
    """The prompt without its ``>>>`` examples and their expected-output lines.

    Example:
        >>> strip_examples("def f(x):\\n    'Twice x.\\n    >>> f(2)\\n    4\\n    '\\n")
        "def f(x):\\n    'Twice x.\\n    '\\n"
    """
    out, in_example = [], False
    for line in prompt.splitlines(keepends=True):
        if _EXAMPLE.match(line):
            in_example = True
            continue
        if in_example and line.strip() and not line.strip().startswith(("'", '"')):
            continue  # the example's expected output
        in_example = False
        out.append(line)
    return "".join(out)


def condition_task(task: CodingTask, condition: str) -> CodingTask:
    if condition == "visible":
        return task
    return task.model_copy(update={"prompt": strip_examples(task.prompt), "visible_tests": ""})


async def _behaviour(task: CodingTask, answer: str, inputs: Sequence[tuple[Any, ...]]) -> str:
    if not inputs:
        return "[]"
    runs = await CodeExecutionVerifier(list(inputs), function=task.entry_point).outputs(answer)
    return json.dumps(
        [r.stdout.strip() if r.ok else f"!error:{r.limit_hit or r.exit_code}" for r in runs]
    )


async def _record(
    c: Candidate, task: CodingTask, hidden: dict[str, Any], ctx: VerifyContext, checks: Any
) -> dict[str, Any]:
    gen, judged, inputs = checks
    visible = c.verdicts[0] if c.verdicts else None
    rec: dict[str, Any] = {
        "index": c.index,
        "status": c.status,
        "text": c.text,
        "tokens_out": c.tokens_out,
        "finish_reason": c.finish_reason,
        "visible_passed": bool(visible and visible.passed and c.status == "ok"),
        "visible_score": visible.score if visible else 0.0,
        "code_key": c.vote_key or f"#{c.index}",
        "confidence": c.confidence,
    }
    if c.status != "ok":
        return rec | {"hidden_passed": False, "behavior_key": f"!failed:{c.index}"}
    answer = answer_from_text(task, c.text)
    g = await gen.verify(c, ctx)
    j = await judged.verify(c, ctx)
    outputs = json.dumps(sorted(g.details.get("outputs", {}).items()))
    behaviour = await _behaviour(task, answer, inputs) + outputs
    return rec | {
        "hidden_passed": await judge(answer, hidden),
        "behavior_key": hashlib.sha256(behaviour.encode()).hexdigest()[:16],
        "gen_score": g.score,
        "gen_passed": sorted(g.details.get("passed", [])),
        "gen_total": g.details.get("total", 0),
        "judge_score": j.score,
        "judge_tokens_in": j.details.get("tokens", {}).get("in", 0),
    }


async def _problem(
    backend: Any, task: CodingTask, hidden: dict[str, Any], n: int, seed: int
) -> dict:
    t0 = time.monotonic()
    pooled = await step(backend, task, n, 0.8, seed, logprobs=5, max_concurrency=2)
    greedy = await step(backend, task, 1, 0.0, 0, logprobs=5, max_concurrency=2)
    t_sample = time.monotonic() - t0
    gen = GeneratedTestsVerifier(backend, entry_point=task.entry_point)
    judged = JudgeVerifier(backend)
    ctx = VerifyContext(step="propose", messages=prompt_messages(task), extras={
        "task": task.prompt, "entry_point": task.entry_point})  # fmt: skip
    inputs = visible_inputs(task.visible_tests, task.entry_point or "")
    checks = (gen, judged, inputs)
    cands = [*pooled.candidates, greedy.winner]
    records: list[dict[str, Any]] = [{} for _ in cands]
    limiter = anyio.CapacityLimiter(4)

    async def one(i: int) -> None:
        async with limiter:
            records[i] = await _record(cands[i], task, hidden, ctx, checks)

    async with anyio.create_task_group() as tg:
        for i in range(len(cands)):
            tg.start_soon(one, i)
    return {
        "prompt_tokens": max(c.tokens_in for c in pooled.candidates),
        "samples": records[:-1],
        "greedy": records[-1],
        "gen_tokens": {"in": gen.tokens_in, "out": gen.tokens_out},
        "wall_s": {"sample": round(t_sample, 1), "all": round(time.monotonic() - t0, 1)},
    }


async def sample(args: argparse.Namespace) -> None:
    from langgraph_scaling.backends.default import embedded_backend

    ids = [0, 1] if args.smoke else parse_task_ids(args.tasks)
    n = 2 if args.smoke else args.n
    out = Path(args.out)
    resume = args.extend and await anyio.Path(out).exists()
    data: dict[str, Any] = _pool.load(out) if resume else {"pool": {}}
    data["meta"] = {
        "benchmark": "signals",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": "embedded Qwen2.5-Coder-0.5B-Instruct (in-process vLLM, CPU)",
        "n": n,
        "seed": args.seed,
        "temperature": 0.8,
        "logprobs": 5,
    }
    backend = embedded_backend()
    await backend.start()
    try:
        for task, hidden in humaneval_tasks(ids):
            for condition in CONDITIONS:
                key = f"{task.id}|{condition}"
                if key in data["pool"] or (args.deadline and time.time() > args.deadline):
                    continue
                row = await _problem(backend, condition_task(task, condition), hidden, n, args.seed)
                data["pool"][key] = row | {"task_id": task.id, "condition": condition}
                _pool.save(data, out)
                solved = sum(s["hidden_passed"] for s in row["samples"])
                print(f"{key}: hidden {solved}/{n} in {row['wall_s']['all']}s", flush=True)
    finally:
        await backend.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", default="0-39")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--seed", type=int, default=0, help="seed of branch 0 (branch i: seed + i)")
    p.add_argument("--out", default=str(POOL))
    p.add_argument("--extend", action="store_true", help="keep and skip rows already sampled")
    p.add_argument("--deadline", type=float, default=0.0, help="unix time to stop starting")
    p.add_argument("--smoke", action="store_true")
    anyio.run(sample, p.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
