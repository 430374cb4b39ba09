"""Rendering shared by the staff screens (mentor review, author, insights): criterion names as people read them, and
long learner texts folded behind "Show all". The learner's screens render through sparring/ui/render.py."""

from __future__ import annotations

from typing import Any

from ..grading.feedback import label_for
from . import render as rd

FOLD_AT = 1200  # characters of a learner text shown before "Show all"; a long prompt would bury the grade


def criterion_names(org: Any, scenario_id: str) -> dict[str, str]:
    """Criterion id → the name a learner reads for it (grading.feedback.label_for: the author's label, else the
    grader kind's default). Two criteria with the same name get their position added, so a mentor can tell the
    checkboxes apart. A criterion the scenario no longer has keeps its id."""
    sc = org.scenarios.get(scenario_id)
    if sc is None:
        return {}
    names = {c.id: label_for(c, org.registry.get(c.check), sc.kind) for c in sc.rubric.criteria}
    seen: dict[str, int] = {}
    for n in names.values():
        seen[n] = seen.get(n, 0) + 1
    out, count = {}, dict.fromkeys(seen, 0)
    for cid, n in names.items():
        count[n] += 1
        out[cid] = n if seen[n] == 1 else f"{n} ({count[n]})"
    return out


def name_of(names: dict[str, str], criterion: str) -> str:
    return names.get(criterion, criterion)


def folded_quote(text: str | None, label: str, limit: int = FOLD_AT) -> str:
    """A learner text in its bounded quote (render.learner_quote); beyond `limit` characters the start is shown and
    the whole text sits in a closed <details> whose summary says "Show all" and how long it is. Nothing is cut:
    the mentor can always read every character."""
    text = text or ""
    if len(text) <= limit:
        return rd.learner_quote(text, label)
    cut = text.rfind(" ", 0, limit)
    start = text[: cut if cut > limit // 2 else limit]
    return (rd.learner_quote(start + " …", f"{label}, first {len(start):,} of {len(text):,} characters")
            + f'<details class="sp-fold"><summary>Show all {len(text):,} characters</summary>'
            + rd.learner_quote(text, label) + "</details>")
