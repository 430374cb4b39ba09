"""Near misses generated from each authored statement: the answers an expert would try first to see whether a
rubric checks that an answer is right, not only that it is on topic.

For a statement such as "The excess is £250 before the renewal date" this makes:
- negated: "The excess is not £250 before the renewal date" (a negative statement gets its negation removed);
- reversed: subject and object exchanged ("the van hit the car" -> "the car hit the van"), or the two sides of a
  comparison ("A is denser than B" -> "B is denser than A");
- opposite: one direction or predicate word turned into its opposite ("before" -> "after");
- wrong figure: the first figure changed ("£250" -> "£500");
- hedge (trust scenarios only): the reason given while arguing for every decision.

They serve twice: as failing exemplars in the example-aware path (kinds.semantic.matches), so a scenario with only
a few labelled examples already resists these families, and as checks in `sparring test` (each must fail its
criterion; grading/examples.py). A criterion with `contrasts: false` gets none. Generated text is authored text:
remembered per process like statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import figures, logic

KINDS = ("negated", "reversed", "opposite", "wrong figure", "hedge")


@dataclass(frozen=True)
class Contrast:
    kind: str  # one of KINDS
    statement: str  # the authored statement or reason it comes from
    text: str  # the near miss


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _negated(core: str, doc) -> str | None:
    toks = list(doc)
    # a contrastive "X, not Y" is part of what the statement asserts, not a negative statement
    negs = [t for t in toks if t.dep_ == "neg" and not (t.i > 0 and toks[t.i - 1].text in (",", ";", "(", "-"))]
    if negs:  # a negative statement: its near miss drops the negation ("is not covered" -> "is covered")
        t = negs[0]
        out = core[:t.idx] + core[t.idx + len(t.text):]
        if t.text.lower() == "n't":
            out = core[:t.idx] + core[t.idx + len(t.text):]
        out = re.sub(r"\b(do|does|did) (?=\w)", "", out) if t.head.tag_ == "VB" and toks[0].lower_ in ("do", "does",
                                                                                                        "did") else out
        return _cap(re.sub(r"\s{2,}", " ", out).strip())
    root = next((t for t in toks if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    aux = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i]
    if aux:
        a = aux[0]
        return core[:a.idx + len(a.text)] + " not" + core[a.idx + len(a.text):]
    if root.lemma_ == "be" or (root.pos_ == "AUX" and root.lemma_ in ("be", "have", "can", "must", "will")):
        return core[:root.idx + len(root.text)] + " not" + core[root.idx + len(root.text):]
    if root.tag_ == "VB" and root.i == 0:  # an instruction: "Compare ..." -> "Do not compare ..."
        return "Do not " + core[:1].lower() + core[1:]
    if root.pos_ == "VERB" and root.tag_ in ("VBZ", "VBD", "VBP"):
        do = {"VBZ": "does not", "VBD": "did not", "VBP": "do not"}[root.tag_]
        return core[:root.idx] + do + " " + root.lemma_ + core[root.idx + len(root.text):]
    return "It is false that " + core[:1].lower() + core[1:]


def _span(tok) -> tuple[int, int]:
    sub = list(tok.subtree)
    return sub[0].idx, sub[-1].idx + len(sub[-1].text)


def _reversed(core: str, doc) -> str | None:
    for t in doc:
        if t.pos_ != "VERB" or t.lemma_ in logic.WEAK:  # "the customer has six months" has no reverse
            continue
        subj = [c for c in t.children if c.dep_ == "nsubj" and c.pos_ != "PRON"]
        obj = [c for c in t.children if c.dep_ == "dobj" and c.pos_ != "PRON"]
        if subj and obj:
            (a0, a1), (b0, b1) = _span(subj[0]), _span(obj[0])
            if a1 <= b0:
                return _cap(core[:a0] + core[b0:b1] + core[a1:b0] + _uncap(core[a0:a1], subj[0]) + core[b1:])
    for t in doc:  # "A is denser than B" -> "B is denser than A"
        if t.lower_ == "than":
            pobj = [g for g in t.children if g.dep_ == "pobj"]
            h = t.head
            while h.head is not h and not any(c.dep_ == "nsubj" for c in h.children):
                h = h.head
            subj = [c for c in h.children if c.dep_ == "nsubj"]
            if pobj and subj:
                (a0, a1), (b0, b1) = _span(subj[0]), _span(pobj[0])
                if a1 <= b0:
                    return _cap(core[:a0] + core[b0:b1] + core[a1:b0] + _uncap(core[a0:a1], subj[0]) + core[b1:])
    return None


def _uncap(text: str, tok) -> str:
    """The sentence's first words moved inside it lose their capital, unless they are a name."""
    return text[:1].lower() + text[1:] if tok.i <= 2 and tok.pos_ != "PROPN" else text


def _opposite(core: str, doc) -> str | None:
    for t in doc:
        low = t.lower_
        # directions and predicates, not role nouns ("insurer"/"insured" name parties, not a claim)
        if (low in logic.OPPOSITE and t.dep_ not in ("prt",) and t.pos_ not in ("NOUN", "PROPN")
                and low not in ("more", "less", "all", "none")):
            opp = sorted(logic.OPPOSITE[low])[0]
            if t.text[:1].isupper():
                opp = _cap(opp)
            return core[:t.idx] + opp + core[t.idx + len(t.text):]
    return None


def _wrong_figure(core: str) -> str | None:
    figs = figures.extract(core)
    if not figs:
        return None
    f = figs[0]
    m = re.search(r"\d[\d,]*(?:\.\d+)?", f.text)
    if not m:
        return None
    raw = m.group(0)
    x = float(raw.replace(",", ""))
    if f.kind == "date":
        new = str(int(x) % 28 + 1 if int(x) != 14 else 21)
    elif f.kind == "clause":
        new = str(int(x) + 1) + raw[len(str(int(x))):] if "." not in raw else raw.rsplit(".", 1)[0] + "." + str(
            int(raw.rsplit(".", 1)[1] or 0) + 1)
    else:
        y = x * 2 if x else 1
        new = (f"{y:,.2f}" if "." in raw else f"{int(y):,}") if "," in raw else (
            f"{y:.2f}" if "." in raw else str(int(y)))
    start = core.find(f.text)
    if start < 0:
        return None
    fig_new = f.text.replace(raw, new, 1)
    return core[:start] + fig_new + core[start + len(f.text):]


@lru_cache(maxsize=2048)
def generate(statement: str, trust: bool = False) -> tuple[Contrast, ...]:
    """The near misses of one authored statement (see the module docstring); each differs from the statement."""
    from .semantic_engine import core as core_of

    core = core_of(statement)
    doc = next(iter(logic.docs_of([core])))
    out: list[Contrast] = []
    for kind, text in (("negated", _negated(core, doc)), ("reversed", _reversed(core, doc)),
                       ("opposite", _opposite(core, doc)), ("wrong figure", _wrong_figure(core))):
        if text and text.strip() and text.strip().lower() != core.strip().lower():
            out.append(Contrast(kind, statement, text.strip()))
    if trust:
        out.append(Contrast("hedge", statement, "You could use it as it is, or verify it, or reject it; any of the "
                            "three would be reasonable, since " + core[:1].lower() + core[1:]))
    return tuple(out)


def for_criterion(crit, scenario) -> list[Contrast]:
    """Contrasts of a `semantic` or `justification` criterion (none when `contrasts: false`; a `semantic`
    criterion with `absent: true` has none: its statement is what must not be said)."""
    if not getattr(crit, "contrasts", False) or getattr(crit, "absent", False):
        return []
    texts = crit.statements() if hasattr(crit, "statements") else list(getattr(crit, "reasons", []))
    trust = scenario.kind == "trust"
    return [c for t in texts for c in generate(t, trust)]


def marker(c: Contrast) -> frozenset[str]:
    """The words the near miss brings in ("not", "after", "£500"): what an answer must share with it to be read as
    saying it. Empty for a reversal, which changes the order, not the words."""
    from .semantic_engine import core, words

    return frozenset(words(c.text)) - frozenset(words(core(c.statement)))


def exemplars(crit, scenario, answer: str | None = None) -> tuple:
    """The contrasts of a criterion as failing exemplars (grading/exemplars.py). The hedge is left out: it
    restates the statement whole, and the hedging rule (grading/hedging.py) judges it. With `answer`, only the
    contrasts whose new words the answer uses (or reversals): a paraphrase that resembles "cancel beyond 14 days"
    only by topic is not vetoed by it, since the embedding model cannot tell "inside" from "beyond". Near misses
    that bring in no word of their own are left to the logic checks."""
    from .exemplars import Exemplar
    from .semantic_engine import words

    have = frozenset(words(answer)) if answer is not None else None
    match_all = getattr(crit, "match", "any") == "all"
    out = []
    for c in for_criterion(crit, scenario):
        if c.kind == "hedge":
            continue
        mk = marker(c)
        # a near miss that only removes or reorders words (a negative statement's negation dropped, a reversal)
        # resembles every clause on the topic: the logic checks judge those (grading/logic.py), not a neighbour
        if not mk or (have is not None and not (mk & have)):
            continue
        out.append(Exemplar(c.statement if match_all else "", c.text, False, -1, f"generated contrast ({c.kind})"))
    return tuple(out)
