"""Re-export of the package's scripted fakes for the test suite."""

from langgraph_scaling.testing import ScriptedChatModel, tool_call

__all__ = ["ScriptedChatModel", "tool_call"]
