"""Figures and facts in a text: amounts, percentages, durations, dates, clause numbers and other numbers, each
with its kind and a canonical value, so that "£5k", "5,000 pounds" and "£5,000.00" are one figure, "two weeks" is
"14 days", and "section 1.9" is "clause 1.9".

Used by the semantic engine (a unit that states a figure of the kind a statement expects, but not the expected
one, denies the statement: "the excess is £350" against "the excess is £250"), by `flags` (a reason that
"corrects" a sentence with a value that is neither the right one nor the sentence's own), and by the feedback
(figures found nowhere in what the learner was shown are pointed out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

_NUM_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                         "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_UNIT_AFTER = (r"(?:working |business |calendar |clear )?(?:days?|weeks?|fortnights?|months?|years?|hours?|"
               r"minutes?|per ?cent|percent|pounds?|euros?|dollars?|pence|%)")
_NUMBER_WORD = "|".join(sorted(list(_NUM_WORDS) + list(_TENS) + list(_SCALE_WORDS), key=len, reverse=True))
# a run of number words ("twenty one", "two thousand five hundred") followed by a unit, or of two or more words
_WORD_RUN = re.compile(rf"\b((?:(?:{_NUMBER_WORD})(?:[\s-]+(?:and\s+)?)?)+)(?=\s*{_UNIT_AFTER}\b)", re.I)

_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("date", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b\.?(?:,?\s+(\d{{4}}))?", re.I)),
    ("date_md", re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)),
    ("date_num", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("money", re.compile(rf"([£$€])\s?{_AMOUNT}\s?(k|m|bn|million|thousand)?\b|"
                         rf"\b{_AMOUNT}\s?(k|m|bn|million|thousand)?\s?(pounds?|gbp|euros?|eur|dollars?|usd)\b", re.I)),
    ("percent", re.compile(rf"\b{_AMOUNT}\s?(?:%|per ?cent\b|percent\b)", re.I)),
    ("duration", re.compile(rf"\b{_AMOUNT}[\s-]?((?:working |business |calendar |clear )?)"
                            r"(days?|weeks?|fortnights?|months?|years?|hours?|minutes?|hrs?|mins?)\b", re.I)),
    ("clause", re.compile(r"\b(?:clause|section|article|paragraph|para|regulation|rule|condition|schedule|part|"
                          r"§)\s?(\d+(?:\.\d+)*[a-z]?)\b", re.I)),
    ("number", re.compile(r"(?<![\w.,£$€-])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w%]|[.,]\d)")),
]
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9}
_DAY_UNITS = {"day": 1, "week": 7, "fortnight": 14}


@dataclass(frozen=True)
class Figure:
    kind: str  # money | percent | duration | date | clause | number
    value: str  # canonical value, comparable within a kind
    text: str  # as written

    def __str__(self) -> str:
        return self.text


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def words_to_digits(text: str) -> str:
    """"fourteen days" -> "14 days", "two thousand pounds" -> "2000 pounds" (number words before a unit)."""
    def conv(m: re.Match[str]) -> str:
        total, cur = 0, 0
        for w in re.findall(r"[a-z]+", m.group(1).lower()):
            if w in _NUM_WORDS:
                cur += _NUM_WORDS[w]
            elif w in _TENS:
                cur += _TENS[w]
            elif w == "hundred":
                cur = max(cur, 1) * 100
            elif w in _SCALE_WORDS:
                total += max(cur, 1) * _SCALE_WORDS[w]
                cur = 0
        return f"{total + cur} "
    return _WORD_RUN.sub(conv, text)


def extract(text: str) -> list[Figure]:
    """The figures of `text`, each once, in order of appearance."""
    t = words_to_digits(text or "")
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, Figure]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for kind, rx in _PATTERNS:
        for m in rx.finditer(t):
            if not free(m.start(), m.end()):
                continue
            fig = _canonical(kind, m)
            if fig is None:
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), fig))
    out: list[Figure] = []
    seen: set[tuple[str, str]] = set()
    for _, f in sorted(found, key=lambda x: x[0]):
        if (f.kind, f.value) not in seen:
            seen.add((f.kind, f.value))
            out.append(f)
    return out


def _canonical(kind: str, m: re.Match[str]) -> Figure | None:
    raw = m.group(0).strip().rstrip(".,")
    g = m.groups()
    if kind == "date":
        day, mon, year = int(g[0]), _MONTHS[g[1][:3].lower()], g[2]
        return Figure("date", f"{day:02d}-{mon:02d}" + (f"-{year}" if year else ""), raw) if 1 <= day <= 31 else None
    if kind == "date_md":
        mon, day, year = _MONTHS[g[0][:3].lower()], int(g[1]), g[2]
        if g[0].lower() == "may" and not year and day > 31:
            return None
        return Figure("date", f"{day:02d}-{mon:02d}" + (f"-{year}" if year else ""), raw) if 1 <= day <= 31 else None
    if kind == "date_num":
        if g[0]:  # UK order: day/month/year
            day, mon, year = int(g[0]), int(g[1]), g[2]
        else:
            year, mon, day = g[3], int(g[4]), int(g[5])
        if not (1 <= day <= 31 and 1 <= mon <= 12):
            return None
        return Figure("date", f"{day:02d}-{mon:02d}-{year}", raw)
    if kind == "money":
        amount, scale = (g[1], g[2]) if g[0] else (g[3], g[4])
        x = _num(amount) * _SCALE.get((scale or "").lower(), 1)
        return Figure("money", _fmt(x), raw)
    if kind == "percent":
        return Figure("percent", _fmt(_num(g[0])), raw)
    if kind == "duration":
        x, qual, unit = _num(g[0]), (g[1] or "").strip().lower(), g[2].lower().rstrip("s")
        unit = {"hr": "hour", "min": "minute"}.get(unit, unit)
        if unit in _DAY_UNITS and qual in ("", "calendar", "clear"):
            return Figure("duration", f"{_fmt(x * _DAY_UNITS[unit])} day", raw)
        if unit in _DAY_UNITS:  # "10 working days" is not "14 days"
            return Figure("duration", f"{_fmt(x * _DAY_UNITS[unit])} {qual} day", raw)
        return Figure("duration", f"{_fmt(x)} {unit}", raw)
    if kind == "clause":
        return Figure("clause", g[0].lower(), raw)
    return Figure("number", _fmt(_num(g[0])), raw)


@lru_cache(maxsize=4096)
def authored(text: str) -> tuple[Figure, ...]:
    """Figures of an authored text (statement, reason, why, material), remembered per process."""
    return tuple(extract(text))


def _unit_of(f: Figure) -> str:
    """What a figure measures: durations compare only within a unit ("14 day" with "30 day", not with "1 month")."""
    if f.kind == "duration":
        return f.kind + ":" + f.value.split(" ", 1)[1]
    return f.kind


def conflict(expected: Iterable[Figure], stated: Iterable[Figure], known: frozenset[tuple[str, str]] = frozenset()
             ) -> tuple[Figure, Figure] | None:
    """(stated, expected) when the text states a figure of a kind the expectation has and
    - none of the text's figures of that kind is an expected one ("£350" where "£250" is expected), or
    - one of them is neither expected nor `known` (a figure of the material: citing another fact of the source is
      not an error) while an expected one of that kind is missing: one figure swapped for another in a worked sum.
    None when they agree or do not meet. Plain numbers are compared only when the expectation has plain numbers
    of its own."""
    exp: dict[str, list[Figure]] = {}
    for f in expected:
        exp.setdefault(_unit_of(f), []).append(f)
    mine: dict[str, list[Figure]] = {}
    for f in stated:
        mine.setdefault(_unit_of(f), []).append(f)
    for k, fs in mine.items():
        want = exp.get(k)
        if not want:
            continue
        values = {f.value for f in want}
        if k == "date":  # a date without a year agrees with the same day and month with one
            values |= {v[:5] for v in values}
            if any(f.value in values or f.value[:5] in values for f in fs):
                continue
        elif any(f.value in values for f in fs):
            have = {f.value for f in fs}
            stray = [f for f in fs if f.value not in values and (f.kind, f.value) not in known]
            missing = [f for f in want if f.value not in have]
            if stray and missing:
                return stray[0], missing[0]
            continue
        return fs[0], want[0]
    return None


def known_values(texts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(kind, value) of every figure in authored texts (a scenario's material, output, model answer)."""
    return frozenset((f.kind, f.value) for t in texts for f in authored(t))


def unsupported(stated: Iterable[Figure], known: Iterable[Figure]) -> list[Figure]:
    """Figures of the text found nowhere in `known` (the material, the statements, the model answer). Plain numbers
    up to 10 are left out: counts ("two contractors", "3 steps") are not facts to check."""
    have = {(f.kind, f.value) for f in known} | {(f.kind, f.value[:5]) for f in known if f.kind == "date"}
    out = []
    for f in stated:
        if f.kind == "number" and _num_or(f.value) <= 10:
            continue
        key = (f.kind, f.value if f.kind != "date" else f.value[:5])
        if key not in have and (f.kind, f.value) not in have:
            # a bare number that is an amount or percentage of the material ("5000" for "£5,000") is known
            if f.kind == "number" and any(k in ("money", "percent") and v == f.value for k, v in have):
                continue
            out.append(f)
    return out


def _num_or(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return 0.0
