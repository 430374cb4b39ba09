"""A policy compiled to one Presidio AnalyzerEngine: verdicts, findings that explain themselves, redaction.

Pipeline for one text: normalise (strip invisible characters, NFKC; see normalise.py) → spaCy NER (shared by
every policy in the process, see nlp.py) → the policy's recognizers → per-entity min_score → drop placeholders
([customer], <PERSON>, {{name}}) and allow-listed terms → one finding per span (strongest action wins) →
offsets mapped back to the original text → redaction with presidio-anonymizer.
"""

from __future__ import annotations

import logging
import re
import threading

from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry, RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult
from pydantic import BaseModel, Field

from ..content.models import ACTION_ORDER, Action, Policy
from ..patterns import PatternTimeout, bound_presidio, bound_presidio_timeout
from .casing import needs_recasing, recase
from .context import LeanContextEnhancer
from .nlp import shared_nlp_engine
from .normalise import Normalised, normalise
from .scripts import mostly_foreign
from .recognizers import (NAME_SUSPECTS, a_word_not_a_name, build_recognizers, english_not_a_name, is_a_place_here,
                          is_acronym, is_job_title,
                          looks_like_person, not_a_person, plausible_name, reads_as_address, reads_as_firm,
                          trim_leading_verb)

# Text that is already a placeholder is what we want people to write; it must never be flagged.
# '[at]' and '[dot]' are not placeholders but a spelled-out email's '@' and '.' ('anna [at] example [dot] com').
PLACEHOLDER = re.compile(r"\[(?!\s*(?i:at|dot)\s*\])[^\[\]\n]{1,60}\]|<[A-Z][A-Z0-9_ ]{1,40}>|\{\{[^{}\n]{1,60}\}\}")

log = logging.getLogger("sparring.policy")

_anonymizer: AnonymizerEngine | None = None
_anonymizer_lock = threading.Lock()


def _get_anonymizer() -> AnonymizerEngine:
    global _anonymizer
    with _anonymizer_lock:
        if _anonymizer is None:
            _anonymizer = AnonymizerEngine()
        return _anonymizer


class Finding(BaseModel):
    entity: str = Field(description="Entity type, e.g. PERSON or POLICY_NUMBER.")
    text: str = Field(description="The text found (raw: never store it; see PolicyResult.public).")
    start: int = Field(description="Start offset in the original text.")
    end: int = Field(description="End offset (exclusive) in the original text.")
    score: float = Field(description="Presidio score after context boosts, 0..1.")
    action: Action = Field(description="What the policy does about this entity.")
    rule: str = Field(description="The recognizer (and pattern) that fired.")
    explanation: str = Field(description="Why: pattern, base score, context word and boost.")


class PolicyResult(BaseModel):
    verdict: Action = Field(description="Strongest action among findings; allow when none.")
    findings: list[Finding] = Field(default_factory=list)
    redacted: str = Field(description="The text with block/redact findings replaced by <ENTITY>.")
    timed_out: str | None = Field(None, description="Set when the check could not finish (a pattern ran past its "
                                  "time bound): why, without the text. The result then blocks the whole text.")

    def public(self, include_text: bool = True) -> dict:
        """The contract shape. include_text=False replaces each finding's text by <ENTITY> (safe to store)."""
        return {"verdict": self.verdict, "redacted": self.redacted,
                "findings": [{"entity": f.entity, "text": f.text if include_text else f"<{f.entity}>",
                              "start": f.start, "end": f.end, "score": round(f.score, 2), "action": f.action,
                              "rule": f.rule} for f in self.findings]}

    @property
    def entities(self) -> list[str]:
        return sorted({f.entity for f in self.findings})


_NOT_IN_A_NAME = re.compile(r"[:\"“”\n]+")
_SPEAKER_PREFIX = re.compile(r"(?i:i'm|i’m|i am|it's|it’s|this is)\s+")


def _name_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A PERSON span from the NER model that runs across a colon, a quote or a line break is several things
    ('Heather:"I'm Daniel's' is a speaker and a name): the capitalised pieces, without 'I'm' or a possessive."""
    pieces, pos = [], start
    for m in [*_NOT_IN_A_NAME.finditer(text, start, end), None]:
        s, e = pos, (m.start() if m else end)
        pos = m.end() if m else end
        while s < e and not text[s].isalnum():
            s += 1
        if (p := _SPEAKER_PREFIX.match(text, s, e)):
            s = p.end()
        if text[s:e].endswith(("'s", "’s")):
            e -= 2
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if e - s >= 2 and text[s].isupper():
            pieces.append((s, e))
    return pieces


def _remainder(text: str, start: int, end: int, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest stretch of [start, end) outside `taken`, trimmed of spaces and punctuation."""
    free = [True] * (end - start)
    for ts, te in taken:
        for i in range(max(ts, start), min(te, end)):
            free[i - start] = False
    best: tuple[int, int] | None = None
    i = 0
    while i < len(free):
        if free[i]:
            j = i
            while j < len(free) and free[j]:
                j += 1
            s, e = start + i, start + j
            while s < e and not text[s].isalnum():
                s += 1
            while e > s and not text[e - 1].isalnum():
                e -= 1
            if e - s >= 2 and (best is None or e - s > best[1] - best[0]):
                best = (s, e)
            i = j
        else:
            i += 1
    return best


def _is_ner(r: RecognizerResult) -> bool:
    return bool(r.analysis_explanation and r.analysis_explanation.recognizer == "SpacyRecognizer")


def _rule_and_explanation(r: RecognizerResult) -> tuple[str, str]:
    ex = r.analysis_explanation
    if ex is None:
        return "unknown", f"score {r.score:.2f}"
    rule = ex.recognizer + (f"/{ex.pattern_name}" if ex.pattern_name else "")
    parts = []
    if ex.pattern_name:
        parts.append(f"matched '{ex.pattern_name}'")
    elif ex.recognizer == "SpacyRecognizer":
        parts.append("named by the spaCy NER model")
    else:
        parts.append(f"found by {ex.recognizer}")
    parts.append(f"base score {ex.original_score:.2f}")
    if ex.supportive_context_word:
        parts.append(f"+{ex.score_context_improvement:.2f} for context word '{ex.supportive_context_word}'")
    if ex.validation_result is True:
        parts.append("checksum/format validated")
    parts.append(f"final score {r.score:.2f}")
    return rule, ", ".join(parts)


class PolicyEngine:
    """One policy, compiled once. Thread-safe for concurrent check() calls (Presidio and spaCy are re-entrant
    for inference)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.rules = {}
        for ent in set(policy.entities) | {r.entity for r in policy.recognizers}:
            rule = policy.rule(ent)
            if rule is not None:
                self.rules[ent] = rule
        # Entities the policy allows are not even looked for: fewer recognizers, faster checks.
        self.entities = sorted(e for e, r in self.rules.items() if r.action != "allow")
        # What the analyzer looks for: the acted-on entities, plus the NER labels unknown names hide under.
        self.scan = sorted(set(self.entities) | (set(NAME_SUSPECTS) if "PERSON" in self.entities else set()))
        self.nlp_engine = shared_nlp_engine()
        registry = RecognizerRegistry(supported_languages=["en"])
        # The policy's own patterns run on RE2 where it can (linear time); every other pattern is time-bounded
        # (Presidio's own, on its engine); a pattern past its time bound raises PatternTimeout, never finds nothing.
        own = {spec.name or f"{spec.entity} recognizer" for spec in policy.recognizers}
        bound_presidio_timeout()
        for rec in build_recognizers(policy, self.entities):
            if isinstance(rec, PatternRecognizer):
                bound_presidio(rec, linear=getattr(rec, "name", None) in own)  # presidio sets `name` untyped
            registry.add_recognizer(rec)
        # Two words after a match also count as context ("HL-1234567 (policy)"), five before as Presidio does.
        enhancer = LeanContextEnhancer(context_prefix_count=5, context_suffix_count=2)
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=self.nlp_engine, supported_languages=["en"],
                                       context_aware_enhancer=enhancer)
        self._allow = [re.compile(r"(?<!\w)" + re.escape(a) + r"(?!\w)", re.I) for a in policy.allow_list if a]

    # ------------------------------------------------------------------ public API
    def check(self, text: str) -> PolicyResult:
        """The policy's findings on `text`. Raises PatternTimeout when a pattern runs past its time bound (a busy
        machine, a long text): a caller that does not handle it refuses, which is failing closed. Callers that
        must go on use check_fail_closed()."""
        norm = normalise(text)
        if not self.entities or not norm.text.strip():
            return PolicyResult(verdict="allow", findings=[], redacted=text)
        seen = _as_written(norm.text)
        raw = self.analyzer.analyze(text=seen, language=self.policy.language, entities=self.scan,
                                    return_decision_process=True)
        return self._result(norm, raw, seen)

    def check_fail_closed(self, text: str) -> PolicyResult:
        """check(), except that a check that cannot finish blocks the whole text instead of raising (fail closed:
        the practice gate sends nothing, storage keeps nothing of it). Logged without the text."""
        try:
            return self.check(text)
        except PatternTimeout as e:
            log.warning("policy %s: check not finished, whole text treated as blocked: %s", self.policy.id, e)
            return unchecked(text, str(e))

    def check_batch(self, texts: list[str]) -> list[PolicyResult]:
        norms = [normalise(t) for t in texts]
        if not self.entities:
            return [PolicyResult(verdict="allow", findings=[], redacted=t) for t in texts]
        out = []
        seen = [_as_written(n.text) for n in norms]
        docs = self.nlp_engine.process_batch(seen, self.policy.language, batch_size=32)
        for norm, text, (_, artifacts, *_context) in zip(norms, seen, docs):  # plain texts in: (text, artifacts) out
            raw = self.analyzer.analyze(text=text, language=self.policy.language, entities=self.scan,
                                        nlp_artifacts=artifacts, return_decision_process=True)
            out.append(self._result(norm, raw, text))
        return out

    # ------------------------------------------------------------------ internals
    def _protected_spans(self, text: str) -> list[tuple[int, int]]:
        spans = [m.span() for m in PLACEHOLDER.finditer(text)]
        for rx in self._allow:
            spans.extend(m.span() for m in rx.finditer(text))
        return spans

    def _result(self, norm: Normalised, raw: list[RecognizerResult], text: str) -> PolicyResult:
        """Findings from the analyzer's results on `text` (norm.text, re-cased if it was typed in lower case)."""
        protected = self._protected_spans(text)
        recased = text != norm.text
        foreign = mostly_foreign(text)
        candidates: list[tuple[RecognizerResult, int, int]] = []
        spans: list[tuple[RecognizerResult, int, int]] = []
        for r in raw:
            if r.entity_type == "PERSON" and _is_ner(r) and _NOT_IN_A_NAME.search(text, r.start, r.end):
                spans.extend((r, s, e) for s, e in _name_pieces(text, r.start, r.end))
            else:
                spans.append((r, r.start, r.end))
        for r, start, end in spans:
            if r.entity_type in NAME_SUSPECTS and _is_ner(r) and "PERSON" in self.entities \
                    and looks_like_person(text[start:end], r.entity_type):
                # The small model calls many names places or organisations ("Tünde Hoffmann", "Tomomi
                # Nishiyama"); a known given name or surname written as a name makes it a person.
                r.entity_type = "PERSON"
                if text[start:end].endswith(("'s", "’s")):
                    end -= 2
            rule = self.rules.get(r.entity_type)
            if rule is None or rule.action == "allow" or r.score < rule.min_score:
                continue
            if r.entity_type == "PERSON" and _is_ner(r) and (
                    not_a_person(text, start, end) or foreign
                    or recased and not any(c.isupper() for c in text[start:end])):
                # re-casing capitalised every word that could be a name: what the model calls a person in lower
                # case there ('json files') is not one; nor is its guess in a text in another script
                continue
            if r.entity_type in ("PERSON", "LOCATION") and a_word_not_a_name(norm.text, start, end, r.entity_type):
                continue
            if r.entity_type == "PERSON":
                start = trim_leading_verb(text, start, end)
                if not plausible_name(text[start:end]) or (_is_ner(r) and is_acronym(text[start:end])):
                    continue
                if not_a_name_here(text, start, end, _is_ner(r)):
                    continue
            if any(ps <= start and end <= pe or (start < pe and ps < end and PLACEHOLDER.fullmatch(text[ps:pe]))
                   for ps, pe in protected):
                continue
            candidates.append((r, start, end))
        # One finding per stretch of text: strongest action, then a pattern over the NER model's guess (a
        # postcode beats "Leeds LS1 4AB" as a PERSON), then highest score, then longest span.
        candidates.sort(key=lambda c: (-ACTION_ORDER[self.rules[c[0].entity_type].action], _is_ner(c[0]),
                                       -c[0].score, -(c[2] - c[1]), c[1]))
        kept: list[tuple[RecognizerResult, int, int]] = []
        for r, start, end in candidates:
            if all(end <= ks or ke <= start for _, ks, ke in kept):
                kept.append((r, start, end))
            elif _is_ner(r):
                # The model's span often swallows a neighbour ("Manchester M1 2AB"): keep the part not already
                # claimed by a pattern, if it still reads as a word.
                rest = _remainder(text, start, end, [(ks, ke) for _, ks, ke in kept])
                if rest and (r.entity_type != "PERSON" or plausible_name(text[rest[0]:rest[1]])):
                    kept.append((r, *rest))
        kept.sort(key=lambda c: c[1])
        findings = []
        for r, start, end in kept:
            o_start, o_end = norm.span(start, end)
            fired, why = _rule_and_explanation(r)
            findings.append(Finding(entity=r.entity_type, text=norm.original[o_start:o_end], start=o_start,
                                    end=o_end, score=round(float(r.score), 4),
                                    action=self.rules[r.entity_type].action, rule=fired, explanation=why))
        verdict: Action = "allow"
        for f in findings:
            if ACTION_ORDER[f.action] > ACTION_ORDER[verdict]:
                verdict = f.action
        return PolicyResult(verdict=verdict, findings=findings, redacted=redact(norm.original, findings))


UNCHECKED_ENTITY = "UNCHECKED_TEXT"


def unchecked(text: str, why: str) -> PolicyResult:
    """What a check that could not finish says: one blocking finding over the whole text, so every caller that
    acts on findings (the gate, the policy criterion, redaction) treats all of it as data that must not leave."""
    f = Finding(entity=UNCHECKED_ENTITY, text=text, start=0, end=len(text), score=1.0, action="block",
                rule="timeout", explanation=f"the policy check did not finish ({why}); the whole text is blocked")
    return PolicyResult(verdict="block", findings=[f], redacted=f"<{UNCHECKED_ENTITY}>", timed_out=why)


def not_a_name_here(text: str, start: int, end: int, from_model: bool) -> bool:
    """A PERSON candidate that the words around it make an address, a firm or a place, or (from the NER model)
    English words that no name list holds. A title before it ('Mrs Hall', 'Dr. Wells') always makes it a name."""
    if re.search(r"\b(?i:mr|mrs|ms|miss|mx|dr|prof|sir|dame)\.?\s*$", text[max(0, start - 6):start]):
        return False
    if re.search(r"\b(?i:storm|hurricane|typhoon|cyclone)\s+$", text[max(0, start - 12):start]):
        return True  # weather is named like people ('Storm Ciara'), and insurers talk about it every day
    if reads_as_address(text, start, end) or reads_as_firm(text, start, end) or is_job_title(text[start:end]):
        return True
    if from_model and (english_not_a_name(text[start:end]) or is_a_place_here(text, start)):
        return True
    return False


def _as_written(text: str) -> str:
    """What the analyzer reads: the normalised text, re-cased when it was typed all in lower case (casing.py;
    same length, so offsets hold)."""
    return recase(text) if needs_recasing(text) else text


def redact(text: str, findings: list[Finding], actions: tuple[str, ...] = ("block", "redact")) -> str:
    """Replace findings whose action is in `actions` by <ENTITY> with presidio-anonymizer; others stay."""
    hide = [AnonymizerResult(f.entity, f.start, f.end, f.score) for f in findings if f.action in actions]
    if not hide:
        return text
    ops = {f.entity_type: OperatorConfig("replace", {"new_value": f"<{f.entity_type}>"}) for f in hide}
    return _get_anonymizer().anonymize(text=text, analyzer_results=hide, operators=ops).text
