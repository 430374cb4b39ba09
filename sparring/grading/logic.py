"""What a sentence asserts, read from spaCy's dependency parse, and whether one sentence denies another.

The embedding model scores "The water is denser than the syrup" as a paraphrase of "The syrup is denser than
the water", and "do not appoint a second contractor" as close to "appoint a second contractor": meaning vectors
see the topic, not the claim. This module reads the claim:

- negation with real scope: a "not" / "never" / "no longer" / "n't" applies to the word the parser attaches it
  to (and, for "is not", to what is or is not the case), not to every word after it. "It is false / untrue /
  incorrect that X", "I disagree that X", "I don't think X" and "it is not the case that X" turn X round.
  "avoid / refuse / fail to X" negate X. A statement that is itself negative is compared word for word: the
  answer must agree on the polarity of each predicate they share.
- opposites: a predicate or direction word that is the opposite of the statement's (higher/lower, before/after,
  inside/outside, accept/reject, include/exclude, un-/in-/dis- forms ...) while the statement's own word is
  absent.
- swapped roles: the same verb with subject and object exchanged (passives read as actives: "the van was hit by
  the car" = "the car hit the van").
- comparisons: "A is denser than B" against "B is denser than A" (or "A is less dense than B").

`denial(statement, unit)` names the kind of contradiction, or None. Only predicates and roles are compared: the
caller decides that the two texts are about the same thing (the engine checks units that score close to the
statement), so a "not" elsewhere in a long answer cannot sink a reason it does not touch.

Parsing costs ~1-3 ms a sentence here; the engine parses only the learner's units that come close to a statement,
and authored texts once per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

# Verbs that carry no claim of their own: their complements do ("is not covered", "has no estimate").
WEAK = frozenset("be have do will would can could may might must shall should get go need ought let make "
                 "seem become remain stay appear".split())
_NEG_WORDS = frozenset({"not", "n't", "never", "no", "neither", "nor", "nothing", "nobody", "none", "nowhere",
                        "cannot"})
# "avoid promising", "refuse to pay", "fail to send", "refrain from promising": the complement is negated
_NEG_VERBS = frozenset("avoid refuse fail refrain stop cease decline neglect omit forget prevent".split())
# "It is false that X", "I disagree that X": X is denied
_DENY = frozenset("false untrue incorrect wrong inaccurate mistaken myth nonsense misconception disagree deny "
                  "dispute doubt".split())
# "It is not true that X", "I don't think X": the negation passes to X
_TRUTH = frozenset("true case correct right think believe agree accept say claim suppose expect".split())
_FRAME = _DENY | _TRUTH

# Opposite directions and predicates (both ways). Kept small and general: words whose opposite reverses a claim
# in any domain. Words formed with a negative prefix (uncovered, invalid, disconnected) are found by rule.
_PAIRS = """high low|higher lower|up down|increase decrease|increase reduce|rise fall|raise lower|above below|
over under|inside outside|internal external|before after|earlier later|early late|first last|open closed|
open close|include exclude|accept reject|accept decline|approve reject|approve decline|approve refuse|allow forbid|
allow prohibit|permit forbid|permit prohibit|pass fail|gain lose|win lose|add remove|add subtract|start stop|
begin end|maximum minimum|max min|most least|positive negative|true false|correct incorrect|right wrong|
correct wrong|valid invalid|legal illegal|safe unsafe|safe dangerous|same different|attract repel|expand contract|
heat cool|hot cold|warm cool|heavy light|strong weak|fast slow|long short|large small|big small|wide narrow|
thick thin|full empty|many few|cheap expensive|profit loss|credit debit|buy sell|send receive|push pull|
north south|east west|top bottom|front back|front rear|series parallel|connected disconnected|
complete incomplete|likely unlikely|able unable|possible impossible|sufficient insufficient|enough insufficient|
adequate inadequate|covered excluded|cover exclude|insured uninsured|liable exempt|mandatory optional|required optional|
compulsory optional|always never|all none|everyone nobody|present absent|presence absence|enable disable|
arrive depart|import export|inflow outflow|upstream downstream|overpay underpay|overpaid underpaid|
overestimate underestimate|overcharge undercharge|surplus deficit|win loss|success failure|
succeed fail|agree disagree|confirm deny|confirmed denied|clockwise anticlockwise|clockwise counterclockwise|
dense sparse|acid base|acidic alkaline|conductor insulator|conduct insulate|solid liquid|gas liquid|melt freeze|
evaporate condense|absorb reflect|absorb release|gain release|attach detach|incoming outgoing|inbound outbound|ascending descending|forward backward|forwards backwards|more less|more fewer|
greater smaller|greater less|larger smaller|bigger smaller|higher smaller|lower greater|within outside|
within beyond|exceed within""".replace("\n", "").split("|")
OPPOSITE: dict[str, frozenset[str]] = {}
for _p in _PAIRS:
    _a, _b = _p.split()
    OPPOSITE[_a] = OPPOSITE.get(_a, frozenset()) | {_b}
    OPPOSITE[_b] = OPPOSITE.get(_b, frozenset()) | {_a}
# Particles of phrasal verbs are not directions ("set up", "write down", "sign off").
_PARTICLE_DEPS = frozenset({"prt", "compound:prt"})
# ... except after verbs of movement, where they are the direction ("went up", "turned down")
_MOTION = frozenset("go come move turn shift head jump climb fall rise put push pull step bring".split())
_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-")
_CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM", "ADP"})
_PRONOUNS = frozenset("i me you he she it we they them him her us this that these those who which what one "
                      "someone something".split())


@dataclass(frozen=True)
class Claim:
    """What one text asserts, as far as denial() needs it."""

    text: str
    polar: dict[str, frozenset[bool]]  # predicate lemma -> its polarities in the text (True = negated)
    asserted: frozenset[str]  # content lemmas (and direction words) not under a negation
    negated: frozenset[str]  # content lemmas under a negation
    content: frozenset[str]  # every content lemma (nouns, verbs, adjectives, numbers)
    roles: tuple[tuple[str, frozenset[str], frozenset[str]], ...]  # (verb, subjects, objects), active voice
    comparisons: tuple[tuple[str, int, frozenset[str], frozenset[str]], ...]  # (base, sign, left, right)


def _lemma(t: Any) -> str:
    return (t.lemma_ or t.text).lower().replace("’", "'")


def _phrase(t: Any) -> frozenset[str]:
    """The lemmas naming a noun phrase: its head and compound / adjective modifiers, pronouns left out."""
    if t.pos_ == "PRON" or t.lower_ in _PRONOUNS:
        return frozenset()
    out = {_lemma(t)}
    out |= {_lemma(c) for c in t.children if c.dep_ in ("compound", "amod", "nmod", "poss") and c.pos_ != "PRON"}
    for c in t.children:  # "the water in the glass": the glass names it too; "syrup and water" both count
        if c.dep_ == "conj":
            out |= _phrase(c)
    return frozenset(x for x in out if x not in _PRONOUNS)


def _complements(h: Any) -> list[Any]:
    """What a weak verb's claim is about: "is [covered]", "is [a conductor]", "is [in the schedule]"."""
    out = []
    for c in h.children:
        if c.dep_ in ("acomp", "attr", "oprd", "xcomp", "ccomp"):
            out.append(c)
        elif c.dep_ == "prep":
            out += [g for g in c.children if g.dep_ in ("pobj", "pcomp")]
        elif c.dep_ == "advmod" and c.pos_ in ("ADV", "ADJ") and c.lower_ not in _NEG_WORDS:
            out.append(c)
    return out


def _targets(h: Any) -> list[Any]:
    """The tokens a negation attached to `h` applies to."""
    if _lemma(h) in WEAK or h.pos_ == "AUX":
        comps = _complements(h)
        truth = [c for c in comps if _lemma(c) in _TRUTH]
        ccomp = [c for c in h.children if c.dep_ == "ccomp"]
        if truth and ccomp:  # "it is not true that X" / "it is not the case that X"
            return _targets_of_clause(ccomp[0])
        return [h] + comps
    if _lemma(h) in _TRUTH:  # "I don't think X", "I do not agree that X"
        cc = [c for c in h.children if c.dep_ == "ccomp"]
        if cc:
            return _targets_of_clause(cc[0])
    return [h]


def _targets_of_clause(root: Any) -> list[Any]:
    return _targets(root) if (_lemma(root) in WEAK or root.pos_ == "AUX") else [root]


_NOT_NEG_NEXT = frozenset("more less fewer later earlier longer sooner greater higher lower bigger smaller".split())


def _idiom(doc: Any, t: Any) -> bool:
    """The words of negation without its meaning: "no more than 150 words", "not only", "no matter", "no doubt",
    "nothing but"."""
    nxt = doc[t.i + 1].lower_ if t.i + 1 < len(doc) else ""
    nxt2 = doc[t.i + 2].lower_ if t.i + 2 < len(doc) else ""
    low = t.lower_
    if low in ("no", "not") and nxt in _NOT_NEG_NEXT and nxt2 == "than":
        return True
    return (low == "not" and nxt in ("only", "just")) or (low == "no" and nxt in ("matter", "doubt")) or (
        low == "nothing" and nxt == "but")


def _analyse(doc: Any, text: str) -> Claim:
    flips: dict[int, int] = {}

    def flip(toks: Iterable[Any]) -> None:
        for t in toks:
            flips[t.i] = flips.get(t.i, 0) + 1
            if t.pos_ in ("NOUN", "PROPN", "PRON"):
                for c in t.children:
                    # "not in a closed path": the modifiers are denied with the noun; "is not something the
                    # policy covers": so is what the relative clause says of it
                    if c.dep_ in ("amod", "compound", "relcl"):
                        flips[c.i] = flips.get(c.i, 0) + 1

    for t in doc:
        low = t.lower_.replace("’", "'")
        lem = _lemma(t)
        if _idiom(doc, t):
            continue
        if t.dep_ == "neg" or (low in _NEG_WORDS and t.dep_ in ("advmod", "preconj", "cc") and low != "nor"):
            h = t.head
            if h.pos_ == "ADV" and h.head is not h:  # "no longer waiting", "not any more"
                h = h.head
            if h is t:
                continue
            if h.i < t.i and t.i > 0 and doc[t.i - 1].text in (",", ";", "-", "–", "—", "(") and h.pos_ != "VERB":
                # "the limit is £750, not £1,500": the negation is of what follows it, not of £750
                after = [c for c in h.children if c.i > t.i]
                flip([x for c in after for x in c.subtree])
                continue
            flip(_targets(h))
        elif low == "no" and t.dep_ == "det":
            n = t.head
            if n.dep_ in ("attr", "acomp") or n.head is n:  # "there is no estimate"
                flip([n])
            elif n.head.pos_ in ("VERB", "AUX") and n.dep_ in ("dobj", "nsubj", "nsubjpass"):
                # "we received no estimate", "no estimate has arrived"
                flip(_targets(n.head) + [n])
            else:
                flip([n])
        elif low in ("nothing", "nobody", "none", "neither") and t.dep_ in ("nsubj", "nsubjpass", "dobj"):
            flip(_targets(t.head))
        elif low == "without" and t.dep_ == "prep":
            flip([c for c in t.children if c.dep_ in ("pobj", "pcomp")])
        elif lem in _NEG_VERBS and t.pos_ == "VERB":
            for c in t.children:
                if c.dep_ in ("xcomp", "ccomp"):
                    flip(_targets_of_clause(c))
                elif c.dep_ == "prep":  # "refrain from promising"
                    flip([g for g in c.children if g.dep_ in ("pcomp", "pobj")])
        if lem in _DENY and t.dep_ != "neg":
            cl = [c for c in t.children if c.dep_ in ("ccomp", "acl", "relcl")]
            if not cl and t.dep_ in ("acomp", "attr"):
                cl = [c for c in t.head.children if c.dep_ == "ccomp"]
            for c in cl:
                flip(_targets_of_clause(c))

    polar: dict[str, set[bool]] = {}
    asserted: set[str] = set()
    negated: set[str] = set()
    content: set[str] = set()
    roles: list[tuple[str, frozenset[str], frozenset[str]]] = []
    comps: list[tuple[str, int, frozenset[str], frozenset[str]]] = []
    complement = {c.i for h in doc if _lemma(h) in WEAK or h.pos_ == "AUX" for c in _complements(h)}
    for t in doc:
        lem = _lemma(t)
        if not lem or t.is_punct or t.lower_ in _NEG_WORDS:
            continue
        neg = flips.get(t.i, 0) % 2 == 1
        if t.pos_ in _CONTENT_POS and not t.is_stop or lem in OPPOSITE:
            if t.dep_ in _PARTICLE_DEPS and _lemma(t.head) not in _MOTION:
                continue
            forms = {lem, t.lower_}  # "covered" / "cover": the opposites list may name either form
            content.update(forms)
            (negated if neg else asserted).update(forms)
        if lem in _FRAME or lem in WEAK:
            continue
        if t.pos_ in ("VERB", "ADJ") or t.i in flips or t.i in complement:
            polar.setdefault(lem, set()).add(neg)
        if t.pos_ == "VERB":
            subj: set[str] = set()
            obj: set[str] = set()
            for c in t.children:
                if c.dep_ == "nsubj":
                    subj |= _phrase(c)
                elif c.dep_ in ("dobj", "nsubjpass"):
                    obj |= _phrase(c)
                elif c.dep_ == "agent":
                    for g in c.children:
                        if g.dep_ == "pobj":
                            subj |= _phrase(g)
            if subj and obj:
                roles.append((lem, frozenset(subj), frozenset(obj)))
        if t.tag_ in ("JJR", "RBR") or (t.lower_ in ("more", "less", "fewer") and t.dep_ in ("advmod", "amod")):
            comps += _comparison(t)
    return Claim(text, {k: frozenset(v) for k, v in polar.items()}, frozenset(asserted), frozenset(negated),
                 frozenset(content), tuple(roles), tuple(comps))


def _comparison(t: Any) -> list[tuple[str, int, frozenset[str], frozenset[str]]]:
    """(base, sign, left, right) of "LEFT is <t>er than RIGHT" / "LEFT is more|less <adj> than RIGHT"."""
    sign = -1 if t.lower_ in ("less", "fewer") else 1
    base_tok = t
    if t.lower_ in ("more", "less", "fewer") and t.head.pos_ in ("ADJ", "ADV"):
        base_tok = t.head  # "more dense"
    base = _lemma(base_tok)
    if base in ("more", "less", "fewer", "much", "many", "little", "few"):
        base = "much"
    than = [g for c in list(base_tok.children) + list(t.children) if c.lower_ == "than"
            for g in c.children if g.dep_ in ("pobj", "pcomp")]
    if not than:  # "than" may hang on the verb
        h = base_tok.head
        than = [g for c in h.children if c.lower_ == "than" for g in c.children if g.dep_ in ("pobj", "pcomp")]
    if not than:
        return []
    right = _phrase(than[0])
    h = base_tok
    while h.dep_ not in ("ROOT",) and h.dep_ not in ("relcl", "ccomp", "advcl", "conj") and h.head is not h:
        if any(c.dep_ in ("nsubj", "nsubjpass") for c in h.children):
            break
        h = h.head
    left: set[str] = set()
    for c in h.children:
        if c.dep_ in ("nsubj", "nsubjpass"):
            left |= _phrase(c)
    if base_tok.dep_ == "amod":  # "a denser liquid than water"
        left |= _phrase(base_tok.head)
    if not left or not right:
        return []
    # canonical base: "lower" is "higher" with the sign turned round
    for opp in sorted(OPPOSITE.get(base, ())):
        if opp < base and opp not in ("more", "less", "fewer"):
            return [(opp, -sign, frozenset(left), frozenset(right))]
    return [(base, sign, frozenset(left), frozenset(right))]


# ------------------------------------------------------------------------------------------- parsing

_memo: OrderedDict[str, Claim] = OrderedDict()
_memo_lock = threading.Lock()
_MEMO_SIZE = 8192


def parse(texts: list[str], *, remember: bool = False) -> list[Claim]:
    """Claims of `texts`, parsed in one batch. `remember` only for authored text (statements, reasons, examples,
    generated contrasts): a learner's text is never kept beyond the attempt."""
    out: dict[int, Claim] = {}
    todo: list[tuple[int, str]] = []
    with _memo_lock:
        for i, t in enumerate(texts):
            hit = _memo.get(t)
            if hit is not None:
                out[i] = hit
            else:
                todo.append((i, t))
    if todo:
        # Parsed as finished sentences: a clause cut out of a learner's sentence has lost its full stop, and the
        # small parser reads "there is no fee to refund" and "there is no fee to refund." differently (it moved
        # the negation's scope), so a reason word for word the same as the statement was read as denying it.
        docs = docs_of([_as_sentence(t) for _, t in todo])
        for (i, t), doc in zip(todo, docs):
            out[i] = _analyse(doc, t)
        if remember:
            with _memo_lock:
                for i, t in todo:
                    _memo[t] = out[i]
                while len(_memo) > _MEMO_SIZE:
                    _memo.popitem(last=False)
    return [out[i] for i in range(len(texts))]


_pipeline_lock = threading.Lock()
_pipeline: tuple[Any, Any, Any] | None = None


def docs_of(texts: list[str]) -> Iterable[Any]:
    """spaCy Docs of `texts`, parsed in batches: the shared parser pipeline (sparring.policy.nlp.shared_parser),
    with its attribute rules applied by lookup (grading/attribute_rules.py: the same rules, a third of the parse's
    cost when spaCy's Matcher runs them) and then its lemmatizer, which reads the parts of speech they set."""
    global _pipeline
    if _pipeline is None:
        with _pipeline_lock:
            if _pipeline is None:
                from ..policy.nlp import shared_parser
                from .attribute_rules import compile_rules

                nlp = shared_parser()
                names = nlp.pipe_names
                rules = None
                # only the layout we know: the rules run after the parser (they read DEP) and before the lemmatizer
                if "attribute_ruler" in names and names[-2:] == ["attribute_ruler", "lemmatizer"]:
                    rules = compile_rules(nlp.get_pipe("attribute_ruler"))
                _pipeline = (nlp, rules, nlp.get_pipe("lemmatizer") if rules is not None else None)
    nlp, rules, lemmatizer = _pipeline
    if rules is None:
        return nlp.pipe(texts, batch_size=64)
    return (lemmatizer(rules(d)) for d in nlp.pipe(texts, batch_size=64, disable=["attribute_ruler", "lemmatizer"]))


def _as_sentence(text: str) -> str:
    t = text.rstrip()
    return t if not t or t[-1] in ".!?;:" else t + "."


def authored(text: str) -> Claim:
    return parse([text], remember=True)[0]


# -------------------------------------------------------------------------------------------- denial


def _opposites(w: str, other: frozenset[str]) -> set[str]:
    """Words of `other` that are the opposite of `w`: listed pairs, or the same word with a negative prefix."""
    out = set(OPPOSITE.get(w, ())) & other
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 4 and w[len(p):] in other:
            out.add(w[len(p):])
        if p + w in other and len(w) >= 4:
            out.add(p + w)
    return out


def _shares(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a & b) or any(len(x) >= 5 and any(y[:5] == x[:5] for y in b if len(y) >= 5) for x in a)


def denial(s: Claim, u: Claim) -> str | None:
    """How unit `u` denies statement `s`: 'negation', 'opposite', 'swapped roles', 'comparison', or None."""
    # negation: a predicate both use, with the opposite polarity in the unit
    for lem, sp in s.polar.items():
        up = u.polar.get(lem)
        if up is None or len(sp) != 1:
            continue
        if next(iter(sp)) not in up:
            if (s.content - {lem}) & (u.content - {lem}):  # about the same thing, not just the same verb
                return "negation"
    # opposite: the unit asserts the opposite of a word the statement asserts, and not the word itself
    for w in s.asserted:
        opp = _opposites(w, u.asserted)
        if opp and w not in u.asserted and not (opp & s.content):
            return "opposite"
    # comparison: the same comparison with its sides (or its direction) turned round
    for base, sign, left, right in s.comparisons:
        for ub, us, ul, ur in u.comparisons:
            if ub != base:
                continue
            sl, sr, ul2, ur2 = left - right, right - left, ul - ur, ur - ul  # "salt water" / "fresh water"
            same = _shares(ul2, sl) or _shares(ur2, sr)
            swapped = _shares(ul2, sr) or _shares(ur2, sl)
            if same == swapped:
                continue
            if (sign * us) * (1 if same else -1) < 0:
                return "comparison"
    # swapped roles: the same verb, who did it and to whom exchanged
    for verb, subj, obj in s.roles:
        for uv, us_, uo in u.roles:
            if uv != verb:
                continue
            subj2, obj2, us2, uo2 = subj - obj, obj - subj, us_ - uo, uo - us_
            if _shares(us2, obj2) and _shares(uo2, subj2) and not _shares(us2, subj2):
                return "swapped roles"
    return None


DENIAL_WORDS = {"negation": "says the opposite", "opposite": "turns it round",
                "swapped roles": "swaps who does what", "comparison": "reverses the comparison"}
