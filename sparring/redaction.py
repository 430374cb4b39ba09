"""One rule for what is stored: every text written to the database is redacted by one policy, chosen here.

`storage_policy()` is the only place that decides which policy redacts a stored text: the scenario's policy when
the organisation has it, else `external-ai`, else the organisation's first policy by id. An organisation with no
policy at all cannot check text, so free text is stored as `<UNCHECKED TEXT>`. Every non-allow finding (block,
redact and warn) is replaced by `<ENTITY>` at rest.

Fail closed: a check that cannot finish (a pattern past its time bound, sparring.patterns.PatternTimeout) keeps
nothing of the text: the whole field is stored as `<UNCHECKED TEXT>`, and the log says so without the text. The
practice gate's timed-out result (PolicyResult.timed_out) makes the whole attempt's learner text unchecked.

What is stored for one attempt (`AttemptRedactor`):
- the answer: each finding's span replaced by <ENTITY>, by offset;
- feedback: each quote a grader made of the learner's text (recorded by sparring.grading.quotes) is made again
  from the redacted source sentence, so whitespace variants and quotes cut at their length limit hold no raw
  text; criteria of kinds that write their own words about the answer (an LLM judge, an organisation's plugin)
  have their feedback checked by the policy as free text;
- evidence: a learner sentence is located in the answer (whitespace collapsed) and redacted from there; a text
  that is neither the learner's nor the scenario's goes through the policy as free text;
- the policy check as entity/action/offsets, and its redacted text with warnings redacted too;
- the assistant's reply, the review question and the mentor comment as free text (`free_text`).
Nothing is scrubbed afterwards by matching raw strings.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from .grading.quotes import Quote, rebuild
from .patterns import PatternTimeout

log = logging.getLogger("sparring.redaction")

DEFAULT_POLICY = "external-ai"
UNCHECKED = "<UNCHECKED TEXT>"

# Built-in kinds whose feedback carries learner text only through grading/quotes.py (quote, plain,
# redacted_view); any other kind's feedback is checked by the policy as free text.
QUOTING_KINDS = frozenset({"semantic", "flags", "justification", "contains", "length", "decision", "policy",
                           "gaming"})


def storage_policy(org: Any, policy_id: str | None) -> str | None:
    """The policy that redacts a stored text: `policy_id` (a scenario's) when the organisation has it; else the
    organisation's `external-ai`; else its first policy by id; None when it has no policy."""
    policies = getattr(org, "policies", None) or {}
    if policy_id and policy_id in policies:
        return policy_id
    if DEFAULT_POLICY in policies:
        return DEFAULT_POLICY
    return next(iter(sorted(policies)), None)


def non_allow(findings: Sequence[Any]) -> list[Any]:
    return [f for f in findings if f.action != "allow"]


def mask(text: str, findings: Sequence[Any], offset: int = 0) -> str:
    """`text` with each finding's span (offsets relative to text + `offset`) replaced by <ENTITY>. A finding
    that crosses the edge of `text` is masked up to the edge. Overlapping findings merge: the earlier wins."""
    spans = sorted(((f.start - offset, f.end - offset, f.entity) for f in findings), key=lambda s: (s[0], -s[1]))
    out, pos = [], 0
    for start, end, ent in spans:
        start, end = max(start, 0), min(end, len(text))
        if end <= start or start < pos:
            continue
        out.append(text[pos:start])
        out.append(f"<{ent}>")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def free_text(org: Any, policy_id: str | None, text: str) -> str:
    """Any free text to store or log (a review question, a mentor comment, an assistant reply, a grader's own
    words): checked by the storage policy, every non-allow finding replaced by <ENTITY>."""
    if not text or not text.strip():
        return text
    pid = storage_policy(org, policy_id)
    if pid is None:
        return UNCHECKED
    try:
        findings = org.policy_engine(pid).check(text).findings
    except PatternTimeout as e:  # fail closed: what could not be checked is not kept
        log.warning("stored text withheld (%d characters): policy %s did not finish its check: %s", len(text), pid, e)
        return UNCHECKED
    return mask(text, non_allow(findings))


def _collapsed(text: str) -> tuple[str, list[int]]:
    """`text` with runs of whitespace as one space, and for each of its characters the offset in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for m in re.finditer(r"\S+", text):
        if chars:
            chars.append(" ")
            where.append(m.start() - 1)
        chars.extend(m.group())
        where.extend(range(m.start(), m.end()))
    return "".join(chars), where


def _strings(obj: Any) -> set[str]:
    if isinstance(obj, str):
        return {obj, obj.strip(), obj.strip().rstrip(".")}
    if isinstance(obj, dict):
        return set().union(*(_strings(v) for v in obj.values())) if obj else set()
    if isinstance(obj, (list, tuple)):
        return set().union(*(_strings(v) for v in obj)) if obj else set()
    return set()


class AttemptRedactor:
    """The stored form of one attempt's answer and grade. `text` is the answer's checked text
    (GradeContext.text), `findings` the storage policy's findings on it (None: no policy could check it),
    `quotes` what the graders quoted while grading (grading/quotes.recording)."""

    def __init__(self, org: Any, scenario: Any, text: str, findings: Sequence[Any] | None,
                 quotes: Sequence[Quote] = ()) -> None:
        self.org, self.scenario, self.text = org, scenario, text
        self.checked = findings is not None or not text.strip()
        self.policy_id = storage_policy(org, scenario.policy)
        found = list(non_allow(findings or []))
        # a policy criterion may check the same text against another policy: its findings are redacted too
        for q in quotes:
            if q.limit is None and q.source == text:
                found += non_allow(q.findings)
        self.findings = found
        self.quotes = list(quotes)
        self._flat, self._where = _collapsed(text)
        self._authored = _strings(scenario.model_dump())

    # ---------------------------------------------------------------- the answer's own text
    def redacted_text(self) -> str:
        return mask(self.text, self.findings) if self.checked else UNCHECKED

    def learner(self, source: str) -> str | None:
        """`source`, a piece of the answer (whitespace may differ), redacted at its place in the answer; None
        when it is not part of the answer."""
        flat = " ".join(source.split())
        if not flat:
            return source
        if not self.checked:
            return UNCHECKED
        best: str | None = None
        pos = self._flat.find(flat)
        for _ in range(50):
            if pos < 0:
                break
            a, b = self._where[pos], self._where[pos + len(flat) - 1] + 1
            shown = " ".join(mask(self.text[a:b], self.findings, offset=a).split())
            if best is None or shown.count("<") > best.count("<"):
                best = shown
            pos = self._flat.find(flat, pos + 1)
        return best

    def _foreign(self, text: str) -> str:
        """A text that is neither the learner's nor the scenario's: checked by the policy."""
        return free_text(self.org, self.policy_id, text)

    # ---------------------------------------------------------------- answer
    def answer(self, kind: str, parsed: Any) -> dict[str, Any]:
        d: dict[str, Any] = parsed.model_dump()
        if kind == "frame":
            d["prompt"] = mask(parsed.prompt, self.findings) if self.checked else UNCHECKED
        elif kind == "trust":
            d["justification"] = mask(parsed.justification, self.findings) if self.checked else UNCHECKED
        else:  # spot: the checked text is the reasons joined by "\n" (GradeContext.text); map offsets back
            flags, pos = {}, 0
            for sid, why in parsed.flags.items():
                inside = [f for f in self.findings if f.start < pos + len(why) and f.end > pos]
                flags[sid] = (mask(why, inside, offset=pos) if self.checked else UNCHECKED) if why else why
                pos += len(why) + 1
            d["flags"] = flags
        return d

    # ---------------------------------------------------------------- grade
    def _replacements(self) -> list[tuple[str, str]]:
        out: dict[str, str] = {}
        for q in self.quotes:
            if q.limit is None:  # a policy check's redacted text: warnings are redacted at rest as well
                if q.source == self.text:
                    red = self.redacted_text()
                    out[q.shown] = q.view(red) if q.view else red
                else:
                    out[q.shown] = self._foreign(q.shown)
            else:
                src = self.learner(q.source)
                out[q.shown] = rebuild(q, src) if src is not None else self._foreign(q.shown)
        # longest first, so a quote inside a longer shown text is rebuilt with it
        return sorted(out.items(), key=lambda kv: len(kv[0]), reverse=True)

    def feedback(self, text: str, check: str | None, replacements: list[tuple[str, str]]) -> str:
        for shown, red in replacements:
            if shown and shown in text:
                text = text.replace(shown, red)
        return text if check in QUOTING_KINDS else self._foreign(text)

    def evidence(self, obj: Any, replacements: dict[str, str]) -> Any:
        if isinstance(obj, str):
            if obj in replacements:
                return replacements[obj]
            if obj in self._authored or obj.strip() in self._authored:
                return obj
            mine = self.learner(obj)
            if mine is not None:
                return mine
            return obj if not re.search(r"\s", obj.strip()) else self._foreign(obj)
        if isinstance(obj, dict):
            return {k: self.evidence(v, replacements) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.evidence(v, replacements) for v in obj]
        return obj

    def grade(self, result: Any, policy_result: Any, assistant: dict[str, Any] | None) -> dict[str, Any]:
        """The stored grade document: result.public() with every learner-derived text redacted."""
        reps = self._replacements()
        rep_map = dict(reps)
        doc: dict[str, Any] = result.public()
        crits = []
        for c, pub in zip(result.criteria, doc["criteria"]):
            crits.append({**pub, "feedback": self.feedback(c.feedback, c.check, reps),
                          "evidence": self.evidence(c.evidence, rep_map)})
        doc["criteria"] = crits
        if policy_result is not None:
            pol = policy_result.public(include_text=False)
            pol["redacted"] = self.redacted_text()
            doc["policy"] = pol
        else:
            doc["policy"] = None
        doc["assistant"] = assistant
        return doc

    def assistant(self, assistant: dict[str, Any] | None) -> dict[str, Any] | None:
        """A real model's reply may echo or invent personal data: stored as free text."""
        if assistant and assistant.get("status") == "ok" and assistant.get("text"):
            return {**assistant, "text": self._foreign(str(assistant["text"]))}
        return assistant
