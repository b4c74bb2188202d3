"""The old home of the verifier protocol, kept for modules not yet moved to the public one.

Import :class:`Verifier` and :class:`VerifyContext` from
:mod:`langgraph_scaling.verifiers.protocol` (or :mod:`langgraph_scaling.verifiers`).

Example:
    >>> from langgraph_scaling.verifiers import protocol
    >>> VerifyContext is protocol.VerifyContext
    True
"""

from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext

__all__ = ["Verifier", "VerifyContext"]
