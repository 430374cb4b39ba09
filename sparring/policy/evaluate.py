"""Run a policy's labelled tests and score it: precision, recall and F2 per entity and per verdict.

F2 weighs recall twice as much as precision: for a data-sharing policy a missed identifier is a leak, while a
false alarm is an annoyance (that still matters: a policy that cries wolf teaches people to ignore it).

A labelled test passes when the verdict matches, every listed entity is found, and nothing the policy would
block or redact is found that the test does not list. Unlisted `warn` findings are counted as false alarms in
the per-entity precision but do not fail a test on their own (the expected verdict already covers them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ..content.models import Action, PolicyTest, PolicyTestFile

ACTIONS: tuple[Action, ...] = ("block", "redact", "warn", "allow")
from .engine import PolicyEngine, PolicyResult

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation


class Score(BaseModel):
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f2": round(self.f2, 4)}


class CaseResult(BaseModel):
    index: int = Field(description="Position of the test in the policy's test list (0-based).")
    source: str = Field(description="Where the test is written (file, or 'inline').")
    text: str
    note: str | None = None
    expect: Action
    got: Action
    expected_entities: list[str]
    found: list[dict] = Field(description="Findings: entity, text, action, rule, score.")
    missed: list[str] = Field(description="Expected entities not found.")
    false_alarms: list[dict] = Field(description="Findings whose entity the test does not list.")
    passed: bool

    def label(self) -> str:
        short = self.text if len(self.text) <= 70 else self.text[:67] + "..."
        return f"{self.source} #{self.index + 1}: {short!r}"


class PolicyReport(BaseModel):
    policy: str
    tests: int
    passed: int
    entities: dict[str, dict]
    verdicts: dict[str, dict]
    cases: list[CaseResult]

    @property
    def failures(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    def as_dict(self) -> dict:
        return {"policy": self.policy, "tests": self.tests, "passed": self.passed, "failed": self.tests - self.passed,
                "entities": self.entities, "verdicts": self.verdicts,
                "failures": [c.model_dump() for c in self.failures],
                "misses": [{"test": c.label(), "text": c.text, "entities": c.missed} for c in self.cases if c.missed],
                "false_alarms": [{"test": c.label(), "text": c.text, "findings": c.false_alarms}
                                 for c in self.cases if c.false_alarms]}


def labelled_tests(org: Organisation, policy_id: str) -> list[tuple[str, PolicyTest]]:
    """A policy's inline tests and those in policies/tests/*.yaml, each with the file it is written in."""
    from ..content.problems import rel

    pol_file = org.files.get(f"policy:{policy_id}")
    inline = rel(pol_file.path, org.root) if pol_file else "inline"
    out = [(inline, t) for t in org.policies[policy_id].tests]
    for loaded in org.files.values():
        if isinstance(loaded.obj, PolicyTestFile) and loaded.obj.policy == policy_id:
            out.extend((rel(loaded.path, org.root), t) for t in loaded.obj.tests)
    return out


def evaluate(engine: PolicyEngine, tests: list[tuple[str, PolicyTest]]) -> PolicyReport:
    """Score `engine` on labelled tests given as (source, test) pairs."""
    results: list[PolicyResult] = engine.check_batch([t.text for _, t in tests])
    per_entity: dict[str, Score] = defaultdict(Score)
    per_verdict: dict[str, Score] = {a: Score() for a in ACTIONS}
    cases: list[CaseResult] = []
    counters: dict[str, int] = defaultdict(int)
    for (source, test), res in zip(tests, results):
        idx = counters[source]
        counters[source] += 1
        expected = set(test.entities)
        found = {f.entity for f in res.findings}
        for ent in expected & found:
            per_entity[ent].tp += 1
        for ent in expected - found:
            per_entity[ent].fn += 1
        for ent in found - expected:
            per_entity[ent].fp += 1
        if res.verdict == test.expect:
            per_verdict[test.expect].tp += 1
        else:
            per_verdict[test.expect].fn += 1
            per_verdict[res.verdict].fp += 1
        alarms = [f for f in res.findings if f.entity not in expected]
        serious = [f for f in alarms if f.action in ("block", "redact")]
        passed = res.verdict == test.expect and not (expected - found) and not serious
        cases.append(CaseResult(
            index=idx, source=source, text=test.text, note=test.note, expect=test.expect, got=res.verdict,
            expected_entities=sorted(expected),
            found=[{"entity": f.entity, "text": f.text, "action": f.action, "rule": f.rule,
                    "score": round(f.score, 2)} for f in res.findings],
            missed=sorted(expected - found),
            false_alarms=[{"entity": f.entity, "text": f.text, "action": f.action, "rule": f.rule}
                          for f in alarms],
            passed=passed))
    return PolicyReport(policy=engine.policy.id, tests=len(cases), passed=sum(c.passed for c in cases),
                        entities={e: s.as_dict() for e, s in sorted(per_entity.items())},
                        verdicts={v: s.as_dict() for v, s in per_verdict.items()}, cases=cases)


def format_report(report: PolicyReport) -> str:
    """Plain-text report for the terminal."""
    lines = [f"policy {report.policy}: {report.passed}/{report.tests} labelled tests pass", "",
             f"{'entity':<16} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} {'F2':>6}"]
    for ent, s in report.entities.items():
        lines.append(f"{ent:<16} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4} {s['precision']:>6.2f} {s['recall']:>6.2f} "
                     f"{s['f2']:>6.2f}")
    lines += ["", f"{'verdict':<16} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} {'F2':>6}"]
    for v, s in report.verdicts.items():
        lines.append(f"{v:<16} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4} {s['precision']:>6.2f} {s['recall']:>6.2f} "
                     f"{s['f2']:>6.2f}")
    misses = [c for c in report.cases if c.missed]
    alarms = [c for c in report.cases if c.false_alarms]
    if misses:
        lines += ["", "misses (expected but not found):"]
        lines += [f"  {c.label()}: missed {', '.join(c.missed)}" for c in misses]
    if alarms:
        lines += ["", "false alarms (found but not expected):"]
        for c in alarms:
            found = "; ".join(f"{a['entity']} {a['text']!r} ({a['action']}, {a['rule']})" for a in c.false_alarms)
            lines.append(f"  {c.label()}: {found}")
    if report.failures:
        lines += ["", "FAILED labelled tests:"]
        for c in report.failures:
            why = []
            if c.got != c.expect:
                why.append(f"expected {c.expect}, got {c.got}")
            if c.missed:
                why.append(f"missed {', '.join(c.missed)}")
            serious = [a for a in c.false_alarms if a["action"] in ("block", "redact")]
            if serious:
                why.append("false alarm " + ", ".join(f"{a['entity']} {a['text']!r}" for a in serious))
            lines.append(f"  FAIL {c.label()}: {'; '.join(why)}")
    return "\n".join(lines)
