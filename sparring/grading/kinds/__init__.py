"""Built-in grader kinds. Importing this package registers them, through the same `register` plugins use."""

from . import contains, decision, flags, justification, length, llm_judge, policy, python, semantic  # noqa: F401
