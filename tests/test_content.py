"""The sample organisation (Harbourline Insurance) is complete, realistic and graded as its authors labelled it.

Structure checks are cheap and run on the loaded models. The label check grades every example of every
scenario with the real graders (Presidio, MiniLM): it is what `sparring test` does, and the reason the content
can be trusted as the product's demonstration.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from sparring.organisation import get_org
from sparring.grading.rubric import GradeContext, parse_answer

REPO = Path(__file__).resolve().parent.parent
SCENARIO_FILES = sorted((REPO / "scenarios").rglob("*.yaml"))
ROLES = {"customer-support", "claims", "underwriting", "finance", "hr"}


def _org():
    return get_org(REPO)


def _ids() -> list[str]:
    return sorted(_org().scenarios)


# ------------------------------------------------------------------------------------------- coverage


def test_the_catalogue_covers_kinds_and_roles(org):
    kinds = Counter(s.kind for s in org.scenarios.values())
    assert len(org.scenarios) >= 18
    assert kinds["frame"] >= 6 and kinds["spot"] >= 6 and kinds["trust"] >= 6, kinds
    roles = {r for s in org.scenarios.values() for r in s.roles}
    assert ROLES <= roles
    # every role can practise more than one kind
    for role in ROLES:
        assert len({s.kind for s in org.scenarios.values() if role in s.roles}) >= 2, role
    # no scenario was dropped by the loader: one per file
    assert len(org.scenarios) == len(SCENARIO_FILES)


def test_trust_scenarios_need_every_decision(org):
    expected = Counter(s.decision.expected for s in org.scenarios.values() if s.kind == "trust")
    assert set(expected) == {"use", "verify", "reject"}, "learners must meet answers to use and to reject, " \
        "not only ones to verify"
    assert all(n >= 2 for n in expected.values()), expected


@pytest.mark.parametrize("sid", _ids())
def test_scenario_is_complete(sid: str, org):
    sc = org.scenarios[sid]
    assert sc.workflow and sc.outcome and sc.model_answer and sc.material
    assert len(sc.rubric.criteria) >= 3
    checks = {c.check for c in sc.rubric.criteria}
    assert len(checks) >= 2, f"{sid}: mix grader kinds, not only {checks}"
    assert len(sc.examples) >= 4
    passing = [e for e in sc.examples if e.expect.passed]
    failing = [e for e in sc.examples if not e.expect.passed]
    assert passing and len(failing) >= 3
    # failing examples fail for different reasons, and each says which criterion it trips
    assert all(e.expect.failed for e in failing), f"{sid}: label failing examples with `failed: [...]`"
    assert len({tuple(sorted(e.expect.failed)) for e in failing}) >= 2, f"{sid}: failing examples all fail alike"
    if sc.kind == "frame":
        assert sc.policy == "external-ai"
        assert any(c.check == "policy" and c.required for c in sc.rubric.criteria)
        assert any(c.check == "policy" for e in failing for c in sc.rubric.criteria if c.id in e.expect.failed), \
            f"{sid}: one failing example should leak data"
    if sc.kind == "spot":
        assert any(c.check == "flags" and c.required for c in sc.rubric.criteria)
        faulty = [s for s in sc.output if s.faulty]
        assert 1 <= len(faulty) < len(sc.output)
        assert all(len(s.why) >= 15 for s in faulty), f"{sid}: say precisely what is wrong in `why`"
    if sc.kind == "trust":
        assert any(c.check == "decision" and c.required for c in sc.rubric.criteria)
        assert any(c.check == "justification" for c in sc.rubric.criteria)
        assert sc.decision.why


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_file_declares_its_schema_for_editors(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert m, f"{path.name}: first line must be the yaml-language-server $schema comment"
    target = (path.parent / m.group(1)).resolve()
    assert target == REPO / "docs" / "schema" / "scenario.schema.json"


def test_frame_material_really_holds_what_the_policy_protects(org):
    """Frame scenarios exist to practise leaving data out: their material must contain it."""
    engine = org.policy_engine("external-ai")
    for sc in (s for s in org.scenarios.values() if s.kind == "frame"):
        result = engine.check(sc.material)
        strong = {f.entity for f in result.findings if f.action in ("block", "redact")}
        assert {"PERSON"} <= strong and len(strong) >= 3, f"{sc.id}: material flags only {strong}"


def test_the_organisations_grader_is_used(org):
    used = {(c.check, getattr(c, "function", None)) for s in org.scenarios.values() for c in s.rubric.criteria}
    assert ("claim_reference", None) in used
    assert ("python", "harbourline:figures_from_source") in used
    assert org.registry.get("claim_reference").source.endswith("graders/harbourline.py")


# ------------------------------------------------------------------------- the organisation's graders


def _grade_one(org, sid: str, crit_id: str, text: str):
    sc = org.scenarios[sid]
    crit = next(c for c in sc.rubric.criteria if c.id == crit_id)
    ctx = GradeContext(org=org, scenario=sc, answer=parse_answer(sc, {"prompt": text}))
    return org.registry.get(crit.check).grade(crit, ctx)


@pytest.mark.parametrize("text,passed,says", [
    ("Recovery letter, our ref CLM-2026-007318.", True, "correct"),
    ("Recovery letter, our ref [claim ref].", True, "placeholder"),
    ("Recovery letter, our ref CLM-2026-7318.", False, "not a valid claim reference"),
    ("Recovery letter, our ref CLM 2026 007318.", False, "not a valid claim reference"),
    ("Recovery letter, our ref CLM-2026-004512.", False, "another claim"),
    ("Recovery letter to the other insurer.", False, "write [claim ref] where it goes"),
])
def test_claim_reference_kind(org, text, passed, says):
    r = _grade_one(org, "claims-subrogation-letter-prompt", "claim-ref", text)
    assert r.passed is passed
    assert says in r.feedback
    # the brief, the policy (external-ai redacts CLAIM_REF) and the grader agree: a prompt gets [claim ref]
    assert "not personal data" not in r.feedback and "keep them" not in r.feedback
    if "CLM" in text:
        assert "[claim ref]" in r.feedback


def test_the_external_ai_policy_redacts_claim_references_as_the_briefs_say(org):
    res = org.policy_engine("external-ai").check("Triage claim CLM-2026-007318 please.")
    assert {(f.entity, f.action) for f in res.findings} == {("CLAIM_REF", "redact")}
    for sid in ("claims-motor-fnol-triage", "claims-subrogation-letter-prompt"):
        sc = org.scenarios[sid]
        assert "[claim ref]" in sc.brief and "[claim ref]" in (sc.model_answer or "")
        crit = next(c for c in sc.rubric.criteria if c.check == "claim_reference")
        assert getattr(crit, "allow_placeholder", None) or crit.options.get("allow_placeholder")


@pytest.mark.parametrize("text,passed,says", [
    ("Statement £998.00; INV-20958 £1,275.50 invoiced, £1,257.50 paid; INV-21044 £980 unpaid.", True, "match"),
    ("Statement £998; INV-20958 £1275.50 invoiced, £1257.50 paid; INV-21044 £980.00 unpaid.", True, "match"),
    ("Statement £998.00; INV-20958 £1,275.00 invoiced, £1,257.50 paid; INV-21044 £980.00.", False, "1,275.00"),
    ("Statement £998.00 and INV-21044 £980.00.", False, "at least 4"),
])
def test_figures_from_source_function(org, text, passed, says):
    r = _grade_one(org, "finance-supplier-reconciliation-prompt", "exact-figures", text)
    assert r.passed is passed
    assert says in r.feedback


def test_claim_reference_author_typo_is_a_validation_error(org_copy: Path):
    """A pinned reference that is not in the material is reported at the `reference:` line."""
    from sparring.organisation import load_org

    path = org_copy / "scenarios" / "claims" / "subrogation-letter-draft.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reference: CLM-2026-007318", "reference: CLM-2026-007381"), encoding="utf-8")
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if "CLM-2026-007381" in ln)
    problems = [p for p in load_org(org_copy).problems if "CLM-2026-007381" in p.message]
    assert problems and problems[0].line == line
    assert problems[0].file == "scenarios/claims/subrogation-letter-draft.yaml"


# ----------------------------------------------------------------------------------- graded as labelled


@pytest.mark.slow
@pytest.mark.parametrize("sid", _ids())
def test_examples_are_graded_as_labelled(sid: str, org):
    from sparring.grading.commands import check_examples

    rows = check_examples(org, org.scenarios[sid])
    bad = [f"{r['example']}: {m}" for r in rows for m in r["mismatches"]]
    assert not bad, "\n".join(bad)
