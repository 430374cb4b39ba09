"""Rubric grading: the registry of grader kinds, the built-in kinds, and the rubric that combines them."""

from .registry import CriterionOptions, GraderKind, Registry, register
from .result import CriterionResult, GradeResult

__all__ = ["CriterionOptions", "CriterionResult", "GradeResult", "GraderKind", "Registry", "register"]
