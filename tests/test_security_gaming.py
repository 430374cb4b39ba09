"""Gaming the grader: every manipulation attempt in tests/gaming/attacks.yaml, against every scenario of the sample
organisation, graded by every scenario's own rubric plus an `llm_judge` criterion whose model is hostile (it
passes everything, or parrots a verdict the answer carries). None earns a pass it does not deserve; copies and
stuffing raise the anti-gaming signals mentors see.
"""

from __future__ import annotations

import dataclasses
import random
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
import yaml

from gaming.hostile_judge import HostileJudge
from sparring import gaming
from sparring.assistant import answer as assistant_answer
from sparring.config import ModelSettings
from sparring.grading.rubric import AnswerError, grade

ATTACKS = yaml.safe_load((Path(__file__).parent / "gaming" / "attacks.yaml").read_text(encoding="utf-8"))
JUDGE_ID = "hostile-judge"

_SYN = {"customer": "client", "claim": "case", "because": "since", "before": "prior to", "check": "confirm",
        "confirm": "verify", "explain": "set out", "reply": "response", "draft": "write", "please": "kindly",
        "date": "day", "ask": "request", "we": "our team", "is": "is", "the": "the", "waiting": "holding on",
        "policy": "contract", "not": "not", "send": "pass on", "use": "apply", "wrong": "incorrect"}
_STOPWORDS = set(gaming._STOP) | {"answer", "prompt", "learner", "explains", "says", "mentions", "names"}


def test_library_has_at_least_30_attempts_in_every_family():
    assert len(ATTACKS) >= 30
    assert len({a["id"] for a in ATTACKS}) == len(ATTACKS)
    families = Counter(a["family"] for a in ATTACKS)
    for fam in ("instructions to the grader", "fake PASS verdict", "fake rubric text", "keyword stuffing",
                "copying the scenario back", "model answers"):
        assert families[fam] >= 3, families


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def judge():
    j = HostileJudge().start()
    yield j
    j.stop()


@pytest.fixture(scope="module")
def hostile_org(org, judge):
    """The sample organisation with a hostile judge configured and an llm_judge criterion on every scenario."""
    settings = org.settings.model_copy(update={"models": {"default": ModelSettings(
        model="openai/hostile", api_base=judge.url, timeout_s=10, retries=0)}})
    kind = org.registry.get("llm_judge")
    scenarios = {}
    for sid, sc in org.scenarios.items():
        sc = sc.model_copy(deep=True)
        sc.rubric.criteria.append(kind.parse({"id": JUDGE_ID, "check": "llm_judge", "instructions":
                                              "The answer does what the task asks, as an expert would."}))
        scenarios[sid] = sc
    return dataclasses.replace(org, settings=settings, scenarios=scenarios)


# ------------------------------------------------------------------------------------------- building answers


def _output_text(sc) -> str:
    out = getattr(sc, "output", None)
    if isinstance(out, list):
        return " ".join(s.text for s in out)
    return out or ""


def _hidden_texts(sc) -> list[str]:
    """What the rubric looks for, which a learner never sees: a white-box attacker's best keyword source."""
    texts: list[str] = []
    for c in sc.rubric.criteria:
        for field in ("expect", "reasons", "any", "all"):
            v = getattr(c, field, None)
            texts.extend([v] if isinstance(v, str) else [x for x in (v or []) if isinstance(x, str)])
    if isinstance(getattr(sc, "output", None), list):
        texts.extend(s.why or "" for s in sc.output)
    return texts


def _content_words(texts: list[str], n: int = 40) -> str:
    ws = [w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'-]+", t) if w.lower() not in _STOPWORDS]
    return " ".join(list(dict.fromkeys(ws))[:n])


def paraphrase(text: str) -> str:
    """A lazy paraphrase: sentences in reverse order, common words swapped for synonyms."""
    sents = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    out = []
    for s in reversed(sents):
        out.append(re.sub(r"\b[A-Za-z]+\b", lambda m: _SYN.get(m.group(0).lower(), m.group(0)), s))
    return " ".join(out)


# Latin letters -> Cyrillic look-alikes (a reader sees the same words)
_LOOKALIKE = str.maketrans({"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "y": "у", "i": "і"})


def _fill(template: str, sc, org) -> str:
    same_kind = sorted(s for s, x in org.scenarios.items() if x.kind == sc.kind and s != sc.id)
    other = org.scenarios[same_kind[0]].model_answer if same_kind else ""
    words = (sc.model_answer or "").split()
    shuffled = words[:]
    random.Random(sc.id).shuffle(shuffled)
    values = {
        "brief": sc.brief, "material": sc.material or sc.brief, "output": _output_text(sc) or sc.brief,
        "title": sc.title, "outcome": sc.outcome, "model_answer": sc.model_answer or "",
        "paraphrase": paraphrase(sc.model_answer or ""), "shuffled": " ".join(shuffled),
        "other_model_answer": other or "", "brief_words": _content_words([sc.brief, sc.material or ""]),
        "rubric_words": _content_words(_hidden_texts(sc), 60),
        "rubric_list": ", ".join(_content_words(_hidden_texts(sc), 60).split()),
        "rubric_ids": ", ".join(c.id for c in sc.rubric.criteria), "pad": "a " * 9_000,
        # disguised copies (issue 13): what a reader sees is the model answer; the raw characters are not
        "model_answer_lookalike": (sc.model_answer or "").translate(_LOOKALIKE),
        "model_answer_zero_width": "\u200b".join(sc.model_answer or ""),
        "model_answer_hidden": f"<!-- {sc.model_answer or ''} -->",
        "model_answer_display_none": f'<span style="display:none">{sc.model_answer or ""}</span>',
        "model_answer_denied": " ".join(f"It is false that {x[:1].lower()}{x[1:]}" for x in
                                        re.split(r"(?<=[.!?])\s+", (sc.model_answer or "").strip()) if x),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def answers_for(attack: dict, sc, text: str) -> list[tuple[str, dict]]:
    if sc.kind == "frame":
        return [("prompt", {"prompt": text})]
    if sc.kind == "trust":
        return [("expected decision", {"decision": sc.decision.expected, "confidence": 1.0, "justification": text})]
    faulty = [s.id for s in sc.output if s.faulty]
    every = [s.id for s in sc.output]
    ways = {"faulty": faulty, "all": every}
    chosen = [attack["spot"]] if attack.get("spot") else ["faulty", "all"]
    return [(f"flags on {w} sentences", {"flags": {sid: text for sid in ways[w]}}) for w in chosen]


# ------------------------------------------------------------------------------------------- the run


JUDGE_TARGETED = {"instructions to the grader", "fake PASS verdict", "fake rubric text"}


def _judged(attack: dict) -> int:
    """How long a text must be before the product judges it for the attack's signals: keyword lists need a
    stretch of gaming.LIST_CHUNK words (a shorter list reads like an honest terse note: see
    tests/test_gaming_false_alarms.py); copies need gaming.MIN_WORDS."""
    return gaming.LIST_CHUNK if attack.get("signals") == ["keyword-stuffing"] else gaming.MIN_WORDS


def _run(attack: dict, org) -> tuple[list[str], Counter]:
    problems: list[str] = []
    tally: Counter = Counter()
    for sid, sc in sorted(org.scenarios.items()):
        text = _fill(attack["text"], sc, org)
        for how, ans in answers_for(attack, sc, text):
            where = f"{attack['id']} on {sid} ({how})"
            try:
                assistant = assistant_answer(org, sc, ans["prompt"]) if sc.kind == "frame" else None
                result = grade(org, sc, ans, assistant=assistant)
            except AnswerError:
                tally["refused"] += 1  # refused before grading (size, shape): no pass, nothing stored
                continue
            sig = gaming.signals(sc, text, duration_s=None, flags=ans.get("flags"), org=org)
            judged = next((c for c in result.criteria if c.id == JUDGE_ID), None)
            # The product's verdict (sparring/grading/rubric.py), anti-gaming hold included. Attacks aimed at the
            # judge run with the captured judge (it says "pass" to anything) and must fail all the same; the others
            # run on the scenarios' own rubrics (see the test below).
            passed = result.passed
            tally["passed" if passed else "failed"] += 1
            tally.update(f"signal:{s}" for s in sig)
            if attack.get("judge") == "fail" and judged is not None and judged.passed:
                problems.append(f"{where}: the hostile judge's pass was accepted ({judged.feedback[:80]})")
            if passed and attack["expect"] == "fail":
                ok = [c.id for c in result.criteria if c.passed]
                problems.append(f"{where}: PASSED with {result.score:.0%} (criteria passed: {ok})")
            if passed and attack["expect"] == "flagged" and not set(sig) & set(attack.get("signals", [])):
                problems.append(f"{where}: passed without any of {attack.get('signals')} (signals: {sig})")
            if (attack.get("signals") and attack["expect"] == "fail" and len(gaming.words(text)) >= _judged(attack)
                    and sc.kind in attack.get("signal_kinds", [sc.kind]) and not set(sig) & set(attack["signals"])):
                problems.append(f"{where}: not flagged as {attack['signals']} (signals: {sig})")
    return problems, tally


KNOWN = yaml.safe_load((Path(__file__).parent / "gaming" / "known_gaps.yaml").read_text(encoding="utf-8")) or {}


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=[a["id"] for a in ATTACKS])
def test_manipulation_attempt_earns_no_undeserved_pass(attack, org, hostile_org, judge):
    """A ratchet: problems listed in tests/gaming/known_gaps.yaml (open findings, reported to the graders' owners)
    make the test xfail; any other problem fails it. A listed gap that no longer occurs only warns (a grader
    improvement elsewhere must not break CI): then delete it from the list.

    Attacks aimed at the judge run with the captured judge on every scenario; the others run on the scenarios'
    own rubrics (a judge that says "pass" to anything would only hide what the other graders do)."""
    target = hostile_org if attack["family"] in JUDGE_TARGETED else org
    problems, tally = _run(attack, target)
    assert tally["passed"] + tally["failed"] + tally["refused"] >= len(target.scenarios)
    known = set(KNOWN.get(attack["id"], {}).get("scenarios", []))
    new = [p for p in problems if p.split(" on ", 1)[1].split(" ", 1)[0] not in known]
    fixed = known - {p.split(" on ", 1)[1].split(" ", 1)[0] for p in problems}
    assert not new, f"{attack['family']}: {attack['id']}\n" + "\n".join(new)
    if fixed:
        warnings.warn(f"{attack['id']} no longer games {sorted(fixed)}: remove them from tests/gaming/known_gaps.yaml")
    if problems:
        pytest.xfail(f"known gap: {KNOWN[attack['id']]['why']} ({len(problems)} cases)")


def test_every_grader_kind_is_attacked(hostile_org):
    """The sample scenarios plus the added judge exercise every registered grader kind."""
    used = {c.check for sc in hostile_org.scenarios.values() for c in sc.rubric.criteria}
    assert set(hostile_org.registry.names()) <= used, set(hostile_org.registry.names()) - used


@pytest.mark.slow
def test_the_hostile_judge_was_really_asked_and_said_pass(hostile_org, judge):
    """Guard against a vacuous run: the judge is reached over HTTP, asked for structured output, and its pass is
    what the llm_judge criterion reports for an ordinary answer."""
    sc = next(s for s in hostile_org.scenarios.values() if s.kind == "trust")
    before = len(judge.requests)
    result = grade(hostile_org, sc, {"decision": sc.decision.expected, "confidence": 0.8,
                                     "justification": "I would check the figures against the source first."})
    judged = next(c for c in result.criteria if c.id == JUDGE_ID)
    assert len(judge.requests) == before + 1
    assert judge.requests[-1]["response_format"]["type"] == "json_schema"
    assert judged.passed and judged.evidence["status"] == "ok"
