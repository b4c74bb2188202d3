"""Verifiers: checks a candidate must pass before a step commits it."""

from langgraph_scaling.verifiers._protocol import Verifier, VerifyContext
from langgraph_scaling.verifiers.callable import CallableVerifier
from langgraph_scaling.verifiers.tool_call import ToolCallVerifier

__all__ = ["CallableVerifier", "ToolCallVerifier", "Verifier", "VerifyContext"]
