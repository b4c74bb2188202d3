"""Coding tasks for the coding agent and the ``eval`` command (HumanEval, repositories)."""

from langgraph_scaling.tasks._task import CodingTask, load_task_file
from langgraph_scaling.tasks.humaneval import (
    DEV_SET,
    humaneval_tasks,
    parse_task_ids,
    visible_tests_from_prompt,
)
from langgraph_scaling.tasks.prompts import (
    answer_from_text,
    prompt_messages,
    task_verifiers,
)

__all__ = [
    "DEV_SET",
    "CodingTask",
    "answer_from_text",
    "humaneval_tasks",
    "load_task_file",
    "parse_task_ids",
    "prompt_messages",
    "task_verifiers",
    "visible_tests_from_prompt",
]
