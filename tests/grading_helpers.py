"""Small in-memory scenarios for the grading tests (no files, no policy engine needed)."""

from __future__ import annotations

from pathlib import Path

from sparring.config import Settings
from sparring.organisation import Organisation
from sparring.content.models import SpotScenario, TrustScenario
from sparring.grading.registry import builtin_registry

COMMON = {"roles": ["claims-handler"], "skills": ["trust-calibration"], "workflow": "Testing the graders",
          "outcome": "Grades as an expert would", "brief": "Decide what to do with the AI answer."}


def typed(sc):
    reg = builtin_registry()
    sc.rubric.criteria = [reg.get(c.check).parse({**c.model_dump(by_alias=True, exclude_unset=True), **c.options})
                          for c in sc.rubric.criteria]
    return sc


def trust(criteria: list[dict], pass_mark: float = 0.8, expected: str = "verify") -> TrustScenario:
    return typed(TrustScenario.model_validate({
        "id": "t-test", "title": "Trust test", "kind": "trust", **COMMON, "output": "The limit is £10,000.",
        "decision": {"expected": expected}, "rubric": {"pass": pass_mark, "criteria": criteria}}))


def spot(output: list[dict], criteria: list[dict]) -> SpotScenario:
    return typed(SpotScenario.model_validate({
        "id": "s-test", "title": "Spot test", "kind": "spot", **COMMON, "output": output,
        "rubric": {"pass": 0.8, "criteria": criteria}}))


def org(tmp: Path | None = None) -> Organisation:
    return Organisation(root=tmp or Path("."), settings=Settings(), registry=builtin_registry())
