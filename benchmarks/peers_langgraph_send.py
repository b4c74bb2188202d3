"""Peer comparison: a plain LangGraph ``Send`` fan-out against this package, same server.

One vLLM OpenAI-compatible server on loopback (the embedded model), the same HumanEval
problems, k branches at temperature 0.8, the coding agent's prompt, the visible tests as the
check and the highest visible-test score as the pick, judged by the hidden tests:

* ``send``: map-reduce written as the LangGraph docs show it: a conditional edge returns
  ``[Send("generate", ...)] * k``, each ``generate`` makes one ``ChatOpenAI`` call and runs
  the visible tests, an ``operator.add`` reducer collects the candidates, ``reduce`` picks;
* ``package/server``: the package's coding agent, ``best@k`` through
  ``OpenAIServerBackend`` (one request with ``n=k``);
* ``package/chat_model``: the same agent through ``ScaledChatModel(ChatOpenAI(...))``
  (k concurrent calls, as the ``Send`` graph makes), to separate the n=k effect.

With ``--peers-python`` (a venv holding ``dspy`` and ``its-hub``), DSPy ``BestOfN`` and
``Refine`` and its_hub ``BestOfN`` run on each problem right after the in-process variants,
through ``peers_dspy_its_hub.py``. The order of the variants rotates from problem to problem.
Results go to ``benchmarks/results/peers_langgraph_send.json``.

Example:
    $ .venv/bin/python benchmarks/peers_langgraph_send.py --tasks 0-9 --k 4
    $ .venv/bin/python benchmarks/peers_langgraph_send.py --smoke    # 2 problems, k=2
"""

from __future__ import annotations

import argparse
import json
import operator
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests._vllm_server
from _common import IMG, bars, machine, rotated

from langgraph_scaling.report import Candidate
from langgraph_scaling.tasks import (
    CodingTask,
    answer_from_text,
    prompt_messages,
    task_verifiers,
)
from langgraph_scaling.verifiers import VerifyContext

RESULTS = Path(__file__).parent / "results" / "peers_langgraph_send.json"
SERVED = "qwen2.5-coder-0.5b"


# -- the plain LangGraph map-reduce ----------------------------------------------------------
class FanOutState(TypedDict, total=False):
    task: CodingTask
    k: int
    candidates: Annotated[list[dict[str, Any]], operator.add]
    answer: str


class BranchState(TypedDict):
    task: CodingTask
    seed: int


def build_send_graph(base_url: str) -> Any:
    """Map-reduce over k ``ChatOpenAI`` calls with ``Send`` (the LangGraph docs' pattern)."""
    from langchain_openai import ChatOpenAI

    def fan_out(state: FanOutState) -> list[Send]:
        return [Send("generate", {"task": state["task"], "seed": i}) for i in range(state["k"])]

    async def generate(state: BranchState) -> FanOutState:
        llm = ChatOpenAI(
            base_url=base_url,
            api_key="EMPTY",
            model=SERVED,
            temperature=0.8,
            seed=state["seed"],
            max_tokens=512,
        )
        msg = await llm.ainvoke(prompt_messages(state["task"]))
        (verifier,) = task_verifiers(state["task"])
        verdict = await verifier.verify(
            Candidate(index=state["seed"], status="ok", text=msg.text), VerifyContext()
        )
        usage = msg.usage_metadata or {}
        return {
            "candidates": [
                {
                    "seed": state["seed"],
                    "text": msg.text,
                    "score": verdict.score,
                    "tokens_in": usage.get("input_tokens", 0),
                    "tokens_out": usage.get("output_tokens", 0),
                }
            ]
        }

    def reduce(state: FanOutState) -> FanOutState:
        best = max(state["candidates"], key=lambda c: (c["score"], -c["seed"]))
        return {"answer": answer_from_text(state["task"], best["text"])}

    g = StateGraph(FanOutState)
    g.add_node("generate", generate)
    g.add_node("reduce", reduce)
    g.add_conditional_edges(START, fan_out, ["generate"])
    g.add_edge("generate", "reduce")
    g.add_edge("reduce", END)
    return g.compile()


# -- the runs ----------------------------------------------------------------------------------
async def _send(graph: Any, task: CodingTask, k: int) -> tuple[str, int, int]:
    out = await graph.ainvoke({"task": task, "k": k, "candidates": []})
    cands = out["candidates"]
    return (out["answer"], sum(c["tokens_in"] for c in cands), sum(c["tokens_out"] for c in cands))


async def _package(agent: Any, model: Any, task: CodingTask, k: int) -> tuple[str, int, int]:
    from langgraph_scaling.cli._policies import parse_policy
    from langgraph_scaling.graphs.coding_agent import CodingAgentContext

    spec = parse_policy(f"best@{k}")
    ctx = CodingAgentContext(model=model, policy=spec.policy, verify=spec.verify)
    out = await agent.ainvoke({"task": task}, context=ctx)
    (report,) = out["reports"]
    return out["answer"], report["tokens_in"], report["tokens_out"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from langchain_openai import ChatOpenAI

    from langgraph_scaling.backends.openai_server import OpenAIServerBackend
    from langgraph_scaling.graphs.coding_agent import build_coding_agent
    from langgraph_scaling.models.embedded import default_model_path
    from langgraph_scaling.tasks import humaneval_tasks, parse_task_ids
    from langgraph_scaling.tasks.humaneval import judge
    from tests._vllm_server import VLLMServer  # on CPU it adds CPU_SERVE_ARGS itself

    ids = [0, 1] if args.smoke else parse_task_ids(args.tasks)
    k = 2 if args.smoke else args.k
    server = VLLMServer(
        default_model_path(),
        served_model_name=SERVED,
        kv_cache_gib=4,
        extra_args=["--enforce-eager"],
        log_path="/tmp/peers-vllm-server.log",
    )
    t0 = time.monotonic()
    rows: list[dict[str, Any]] = []
    with server as url:
        start_s = time.monotonic() - t0
        send_graph = build_send_graph(url)
        agent = build_coding_agent()
        chat = ChatOpenAI(base_url=url, api_key="EMPTY", model=SERVED, max_tokens=512)
        variants = {
            "send": lambda task: _send(send_graph, task, k),
            "package/server": lambda task: _package(
                agent, OpenAIServerBackend(url, SERVED), task, k
            ),
            "package/chat_model": lambda task: _package(agent, chat, task, k),
        }
        names = list(variants)
        for i, (task, hidden) in enumerate(humaneval_tasks(ids)):
            if args.deadline and time.time() > args.deadline:
                break
            for name in rotated(names, i):
                t = time.monotonic()
                answer, tin, tout = await variants[name](task)
                wall = time.monotonic() - t
                rows.append(
                    {
                        "task_id": task.id,
                        "variant": name,
                        "passed": await judge(answer, hidden),
                        "tokens_in": tin,
                        "tokens_out": tout,
                        "samples": k,
                        "wall_s": round(wall, 2),
                        "answer": answer[:2000],
                    }
                )
                print({k: v for k, v in rows[-1].items() if k != "answer"}, flush=True)
            if args.peers_python:  # the same problem, right after (their order rotates too)
                peers = rotated(args.peers.split(","), i)
                rows += await _peers(args, url, k, peers, [(task, hidden)], judge)
    return {
        "k": k,
        "server_start_s": round(start_s, 1),
        "rows": rows,
        "summary": summarise(rows),
    }


async def _peers(
    args: argparse.Namespace,
    url: str,
    k: int,
    peers: Sequence[str],
    tasks: Sequence[Any],
    judge: Any,
) -> list[dict[str, Any]]:
    """DSPy / its_hub in their own venv (``peers_dspy_its_hub.py``), judged here."""
    import tempfile

    job = {
        "url": url,
        "model": SERVED,
        "k": k,
        "peers": list(peers),
        "problems": [
            {
                "task_id": task.id,
                "prompt": task.prompt,
                "visible_tests": task.visible_tests,
                "setup": "\n".join(
                    line
                    for line in task.prompt.splitlines()
                    if line.startswith(("import ", "from "))
                ),
                "messages": [
                    {"role": "system" if m.type == "system" else "user", "content": m.text}
                    for m in prompt_messages(task)
                ],
            }
            for task, _ in tasks
        ],
    }
    with tempfile.TemporaryDirectory() as d:
        job_path, out_path = anyio.Path(d, "job.json"), anyio.Path(d, "out.json")
        await job_path.write_text(json.dumps(job))
        script = Path(__file__).parent / "peers_dspy_its_hub.py"
        end = args.peers_deadline or args.deadline
        limit = max(10.0, end - time.time()) if end else None
        with anyio.move_on_after(limit):
            await anyio.run_process(
                [args.peers_python, str(script), str(job_path), str(out_path)],
                stdout=None,
                stderr=None,
                check=False,
            )
        if not await out_path.exists():
            return [{"variant": p, "error": "did not finish in time"} for p in job["peers"]]
        out = json.loads(await out_path.read_text())
    rows = []
    for name, per_task in out.items():
        for task, hidden in tasks:
            res = per_task.get(task.id)
            if res is None:
                continue
            row = {"task_id": task.id, "variant": name, "wall_s": res["wall_s"]}
            if "error" in res:
                row |= {"passed": False, "error": res["error"], "tokens_in": 0, "tokens_out": 0}
            else:
                answer = answer_from_text(task, res["text"])
                row |= {
                    "passed": await judge(answer, hidden),
                    "tokens_in": res["tokens_in"],
                    "tokens_out": res["tokens_out"],
                    "samples": res["samples"],
                    "lm_calls": res.get("lm_calls", res["samples"]),
                    "answer": answer[:2000],
                }
            rows.append(row)
            print({k: v for k, v in row.items() if k != "answer"}, flush=True)
    return rows


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per variant: accuracy, tokens and wall per problem, wall ratio against ``send``."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(r["variant"] for r in rows if "task_id" in r):
        rs = [r for r in rows if r["variant"] == name and "task_id" in r]
        out[name] = {
            "problems": len(rs),
            "accuracy": sum(r["passed"] for r in rs) / len(rs),
            "samples_per_problem": sum(r.get("samples", 0) for r in rs) / len(rs),
            "tokens_in_per_problem": sum(r["tokens_in"] for r in rs) / len(rs),
            "tokens_out_per_problem": sum(r["tokens_out"] for r in rs) / len(rs),
            "wall_s_per_problem": sum(r["wall_s"] for r in rs) / len(rs),
            "errors": sum("error" in r for r in rs),
        }
    if "send" in out:
        for v in out.values():
            v["wall_ratio_vs_send"] = round(
                v["wall_s_per_problem"] / out["send"]["wall_s_per_problem"], 3
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", default="0-9")
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--deadline", type=float, default=None, help="unix time to stop starting")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--peers-python", help="python of a venv with dspy and its-hub")
    p.add_argument("--peers-deadline", type=float, default=None, help="unix time to stop peers")
    p.add_argument(
        "--peers", default="its_hub,dspy,dspy_refine", help="which peers (with --peers-python)"
    )
    p.add_argument("--smoke", action="store_true", help="2 problems, k=2, nothing written")
    args = p.parse_args(argv)
    res = anyio.run(run, args)
    res = {
        "benchmark": "peers_langgraph_send",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **res,
    }
    print(json.dumps(res["summary"], indent=1))
    if not args.smoke:
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
        plot(res, IMG / "peers.png")
    return 0


def plot(res: dict[str, Any], path: Path) -> None:
    """Accuracy, wall time, tokens and samples per problem for every variant."""
    summary = {name: v for name, v in res["summary"].items() if v["problems"]}
    problems = min(v["problems"] for v in summary.values())
    bars(
        path,
        f"Same server, same {problems} HumanEval problems, k={res['k']}: peers side by side",
        [
            ("accuracy on hidden tests (%)", {n: 100 * v["accuracy"] for n, v in summary.items()}),
            ("wall s per problem", {n: v["wall_s_per_problem"] for n, v in summary.items()}),
            (
                "tokens per problem (prompt + output)",
                {
                    n: v["tokens_in_per_problem"] + v["tokens_out_per_problem"]
                    for n, v in summary.items()
                },
            ),
            ("samples per problem", {n: v["samples_per_problem"] for n, v in summary.items()}),
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
