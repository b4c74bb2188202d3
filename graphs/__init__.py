"""Prebuilt LangGraph graphs (installed as ``langgraph_scaling.graphs``)."""
