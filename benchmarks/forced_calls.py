"""Do forced ``edit`` calls parse? One repository-agent turn constrained to ``edit``.

The agent's turns are generated under vLLM's structured outputs, so a call can only fail to
parse when ``max_new_tokens`` cuts its JSON off. This rebuilds the turn where that happens:
the conversation's opening on a bug of the corpus, one ``read_file`` of its module, then a
turn constrained to ``edit`` (``tool_choice="edit"``), ``--k`` branches at T=0.8 and 768 new
tokens, seeds 0.., and counts how each branch ended. Per variant, on its own engine:

- ``free``: the tools' schemas as they are;
- ``capped``: every string argument with ``maxLength`` ``--cap`` (what ``bounded_specs``
  gives for 768 tokens);
- ``compact-capped``: ``capped`` on an engine whose JSON grammar allows no whitespace
  between tokens (``StructuredOutputsConfig(disable_any_whitespace=True)``, xgrammar).

Usage::

    .venv/bin/python benchmarks/forced_calls.py --bug calc-assoc --variants free,capped
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import bug_fix
from _common import machine
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from langgraph_scaling import ScalingPolicy, collect_reports
from langgraph_scaling.agents.repo.prompts import opening
from langgraph_scaling.agents.repo.tools import cap_strings, make_repo_tools
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.langgraph import ScaledChatModel
from langgraph_scaling.verifiers.tool_call import ToolCallVerifier

RESULTS = Path(__file__).parent / "results" / "forced_calls.json"
VARIANTS = ("free", "capped", "compact-capped")


def capped(spec: dict[str, Any], chars: int) -> dict[str, Any]:
    """A copy of ``spec`` with every string argument capped at ``chars``."""
    return cap_strings(copy.deepcopy(spec), chars)


def conversation(bug: str, repo: Path) -> tuple[list[AnyMessage], list[dict[str, Any]]]:
    """The opening, one read of the bug's module, and the tools' specs."""
    ws = Workspace(repo, {})
    tools = make_repo_tools(ws, bug_fix.TEST_COMMAND)
    files = ws.files()
    module = next(
        f for f in files if f.endswith(".py") and not f.startswith("tests") and "__init__" not in f
    )
    read = {t.name: t for t in tools}["read_file"].invoke({"path": module})
    suite = bug_fix.corpus.run_tests(repo).summary
    messages = [
        *opening(bug_fix.corpus.issue(bug), files, suite),
        AIMessage("", tool_calls=[{"name": "read_file", "args": {"path": module}, "id": "c1"}]),
        ToolMessage(read, tool_call_id="c1", name="read_file"),
    ]
    return messages, [convert_to_openai_tool(t) for t in tools]


def backend_for(variant: str) -> Any:
    from langgraph_scaling.backends.default import embedded_backend

    engine: dict[str, Any] = {}
    if variant.startswith("compact"):
        from vllm.config import StructuredOutputsConfig

        engine["structured_outputs_config"] = StructuredOutputsConfig(
            backend="xgrammar", disable_any_whitespace=True
        )
    return embedded_backend(engine_kwargs=engine)


async def one_variant(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """The forced turn's branches under ``variant``: how each ended."""
    with tempfile.TemporaryDirectory() as tmp:
        messages, specs = conversation(args.bug, bug_fix.corpus.materialise(args.bug, Path(tmp)))
    tools = specs if variant == "free" else [capped(s, args.cap) for s in specs]
    policy = ScalingPolicy(
        router=args.k,
        temperature=0.8,
        max_new_tokens=768,
        seed=0,
        keep_candidates=True,
        verifiers=(ToolCallVerifier(require_tool_call=True),),
    )
    backend = backend_for(variant)
    await backend.start()
    try:
        model = ScaledChatModel(backend, policy=policy, step="agent")
        bound = model.bind_tools(tools, tool_choice="edit", parallel_tool_calls=False)
        start = time.monotonic()
        with collect_reports() as reports:
            await bound.ainvoke(messages)
        wall = time.monotonic() - start
    finally:
        await backend.aclose()
    branches = []
    for c in reports[-1].model_dump(mode="json")["candidates"]:
        (verdict,) = [v for v in c["verdicts"] if v["verifier"] == "tool_call_schema"]
        arg = (c["tool_calls"] or [{}])[0].get("args", {}).get("edit", "")
        branches.append(
            {
                "index": c["index"],
                "finish_reason": c["finish_reason"],
                "tokens_out": c["tokens_out"],
                "parsed": verdict["passed"],
                "edit_chars": len(arg),
                "feedback": verdict["feedback"][:200],
            }
        )
        print(variant, *branches[-1].values(), flush=True)
    parsed = sum(b["parsed"] for b in branches)
    print(f"{variant}: {parsed}/{len(branches)} parsed in {wall:.0f}s", flush=True)
    return {"variant": variant, "parsed": parsed, "wall_s": round(wall, 1), "branches": branches}


async def run(args: argparse.Namespace) -> None:
    rows = [await one_variant(v, args) for v in args.variants]
    out = {
        "benchmark": "forced_calls",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "bug": args.bug,
        "k": args.k,
        "cap": args.cap,
        "results": rows,
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bug", default="calc-assoc")
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--cap", type=int, default=1408)
    p.add_argument("--variants", type=lambda s: s.split(","), default=list(VARIANTS))
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if unknown := set(args.variants) - set(VARIANTS):
        p.error(f"unknown variants {sorted(unknown)}; use {','.join(VARIANTS)}")
    anyio.run(run, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
