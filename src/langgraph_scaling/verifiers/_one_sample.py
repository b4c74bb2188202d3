"""One sample from a backend for a verifier's own request (tests to write, a judgement).

Example:
    >>> import anyio
    >>> from langchain_core.messages import AIMessage
    >>> class Echo:
    ...     name = "echo"
    ...     async def sample(self, request, emit):
    ...         await emit(Sample(index=0, message=AIMessage("ok")))
    >>> req = SampleRequest(messages=[], n=1, seeds=[0])
    >>> anyio.run(one_sample, Echo(), req, "v", "did not answer").message.text
    'ok'
"""

from __future__ import annotations

from langgraph_scaling.backends._protocol import Backend, Sample, SampleRequest
from langgraph_scaling.errors import VerifierError

__all__ = ["one_sample"]


async def one_sample(
    backend: Backend, request: SampleRequest, verifier: str, failed: str
) -> Sample:
    """The request's one sample; a backend that gives none raises :class:`VerifierError`
    (``"<verifier>: backend '<name>' <failed> (<why>)."``), an infrastructure error."""
    got: list[Sample] = []

    async def emit(sample: Sample) -> None:
        got.append(sample)

    await backend.sample(request, emit)
    if not got or got[0].message is None:
        why = got[0].error if got else "no sample came back"
        raise VerifierError(f"{verifier}: backend {backend.name!r} {failed} ({why}).")
    return got[0]
