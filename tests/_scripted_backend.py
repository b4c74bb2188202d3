"""A scripted fake backend: answers each request from a function, records what it was asked."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import anyio
from langchain_core.messages import AIMessage

from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest
from langgraph_scaling.confidence import TokenLogprob

Reply = str | Sample
"""A reply: the text of the one sample, or the whole sample (index is set by the backend)."""


class ScriptedBackend:
    """Calls ``respond(request)`` for each sample of each request, after ``delay`` seconds."""

    def __init__(
        self,
        respond: Callable[[SampleRequest], Reply],
        *,
        name: str = "scripted",
        delay: float = 0.0,
        tokens_in: int = 40,
        tokens_out: int = 30,
    ) -> None:
        self.respond = respond
        self.name = name
        self.delay = delay
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.requests: list[SampleRequest] = []

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        self.requests.append(request)
        await anyio.sleep(self.delay)
        for i in range(request.n):
            reply = self.respond(request)
            if isinstance(reply, str):
                reply = Sample(
                    index=i,
                    message=AIMessage(reply),
                    tokens_in=self.tokens_in,
                    tokens_out=self.tokens_out,
                )
            reply.index = i
            await emit(reply)


def first_token(probabilities: Mapping[str, float], *, tokens_in: int = 50) -> Sample:
    """A one-token sample whose first token has these alternatives (most likely first)."""
    top = tuple(
        (tok, math.log(p))
        for tok, p in sorted(probabilities.items(), key=lambda kv: -kv[1])
        if p > 0
    )
    token, logprob = top[0]
    return Sample(
        index=0,
        message=AIMessage(token),
        tokens_in=tokens_in,
        tokens_out=1,
        logprobs=(TokenLogprob(token, logprob, top),),
    )
