"""Is greedy decoding on the embedded engine the same alone and in a batch?

``single`` (one greedy answer) gave 80 % on HumanEval/0-4 in one run of the README's
command and 100 % in another, on the same code. This measures the likely cause: whether a
greedy (T=0) answer depends on what else the engine is decoding at the same time. On one
in-process engine (``embedded_backend()``), for each problem of ``--tasks``:

- ``alone``: the greedy answer with nothing else running, twice (``alone`` and ``again``,
  after a first pass that warms the prefix cache, so that all passes find it warm);
- ``batched``: the same greedy requests all at once, each next to ``--noise`` T=0.8
  requests for the same prompt (as a scaled step's other branches and other tasks are).

Per problem it records whether each answer equals the ``alone`` one and whether the hidden
tests pass it (judged in the sandbox). Usage::

    .venv/bin/python benchmarks/determinism.py --tasks 0-9
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine

from langgraph_scaling.backends import Sample, SampleRequest
from langgraph_scaling.tasks import humaneval_tasks, parse_task_ids, prompt_messages
from langgraph_scaling.tasks.humaneval import judge

RESULTS = Path(__file__).parent / "results" / "determinism.json"


async def _answers(backend: Any, request: SampleRequest) -> list[str]:
    out: dict[int, str] = {}

    async def emit(sample: Sample) -> None:
        out[sample.index] = str(sample.message.content) if sample.message else ""

    await backend.sample(request, emit)
    return [out.get(i, "") for i in range(request.n)]


def _greedy(messages: Sequence[Any], max_tokens: int) -> SampleRequest:
    return SampleRequest(messages=messages, n=1, seeds=[0], temperature=0.0, max_tokens=max_tokens)


async def _batched(backend: Any, prompts: list[Any], noise: int, max_tokens: int) -> list[str]:
    got: dict[int, str] = {}

    async def one(i: int) -> None:
        got[i] = (await _answers(backend, _greedy(prompts[i], max_tokens)))[0]

    async def decoys(i: int) -> None:
        seeds = [100 + j for j in range(noise)]
        request = SampleRequest(messages=prompts[i], n=noise, seeds=seeds, max_tokens=max_tokens)
        await _answers(backend, request)

    async with anyio.create_task_group() as tg:
        for i in range(len(prompts)):
            tg.start_soon(one, i)
            if noise:
                tg.start_soon(decoys, i)
    return [got[i] for i in range(len(prompts))]


async def measure(tasks: str, noise: int, max_tokens: int) -> dict[str, Any]:
    from langgraph_scaling.backends.default import embedded_backend

    pairs = humaneval_tasks(parse_task_ids(tasks))
    prompts = [prompt_messages(task) for task, _ in pairs]
    backend = embedded_backend()
    try:
        start = time.monotonic()
        for p in prompts:  # warm the prefix cache, so that every pass below finds it warm
            await _answers(backend, _greedy(p, max_tokens))
        alone = [(await _answers(backend, _greedy(p, max_tokens)))[0] for p in prompts]
        batched = await _batched(backend, prompts, noise, max_tokens)
        again = [(await _answers(backend, _greedy(p, max_tokens)))[0] for p in prompts]
        wall = time.monotonic() - start
    finally:
        await backend.aclose()
    rows = []
    for (task, hidden), a, b, c in zip(pairs, alone, batched, again, strict=True):
        passes = {
            k: await judge(v, hidden) for k, v in (("alone", a), ("batched", b), ("again", c))
        }
        rows.append(
            {"task": task.id, "batched_same": b == a, "again_same": c == a, "passes": passes}
        )
    return {"rows": rows, "wall_s": round(wall, 1)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over the problems.

    Example:
        >>> s = summarise([{"batched_same": False, "again_same": True,
        ...                 "passes": {"alone": True, "batched": False, "again": True}}])
        >>> s["batched_differs"], s["again_differs"], s["verdict_flips"], s["passed"]["batched"]
        (1, 0, 1, 0)
    """
    flips = sum(r["passes"]["alone"] != r["passes"]["batched"] for r in rows)
    return {
        "problems": len(rows),
        "batched_differs": sum(not r["batched_same"] for r in rows),
        "again_differs": sum(not r["again_same"] for r in rows),
        "verdict_flips": flips,
        "passed": {k: sum(r["passes"][k] for r in rows) for k in ("alone", "batched", "again")},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="0-9", help="HumanEval ids (default 0-9)")
    parser.add_argument("--noise", type=int, default=3, help="T=0.8 requests beside each")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = anyio.run(measure, args.tasks, args.noise, args.max_tokens)
    out = {
        "benchmark": "determinism",
        "command": " ".join(["python", *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "summary": summarise(result["rows"]),
        **result,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["summary"]))


if __name__ == "__main__":
    main()
