"""The one text every check reads: what a person sees of an answer, with look-alike letters folded.

A learner's answer can carry text that a reader never sees (an HTML comment, a `display:none` span, zero-width
characters) or letters that look Latin but are not (Cyrillic "а", fullwidth "ａ", mathematical "𝐚"). If the grader
read the raw text, hidden reasons would earn credit the mentor cannot see, and a model answer copied with
look-alike letters would slip past the copy check while the embedding model (which drops or maps those
characters) still scores it as the model answer. So every check reads `graded(text)`, and the review screen shows
`shown(text)`: the same words, before letters are folded (folding is invisible to a reader anyway).

- `shown(text)`: NFKC, zero-width and other invisible format characters removed, HTML reduced to its visible
  text (comments, `<script>`/`<style>`, elements hidden by `display:none`, `visibility:hidden` or `hidden`
  dropped; tags removed; entities decoded), Markdown reduced to its rendered words (link targets, emphasis
  marks, reference-style comments `[//]: # (...)` dropped).
- `graded(text)`: `shown(text)` with confusable letters folded to the Latin letter they imitate (Unicode's
  confusables table, via `confusable-homoglyphs`), when the text is mostly Latin: an answer written in Greek or
  Russian keeps its letters.
- `hidden(text)`: the pieces `shown` dropped, for the mentor ("this answer carried hidden text").
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Zero-width and invisible format characters (Unicode category Cf covers most; listed ones are the usual tricks).
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]")

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_RAW_BLOCK = re.compile(r"<(script|style|template|noscript|head)\b[^>]*>.*?(?:</\1\s*>|$)", re.S | re.I)
_HIDDEN_ATTR = (r"(?:style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0"
                r"(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9]))[^\"']*[\"']|\bhidden\b(?:\s*=\s*[\"'][^\"']*[\"'])?|"
                r"aria-hidden\s*=\s*[\"']true[\"'])")
_HIDDEN_OPEN = re.compile(r"<([a-z][a-z0-9]*)\b[^>]*?" + _HIDDEN_ATTR + r"[^>]*>", re.I)
_TAG = re.compile(r"</?[a-z][a-z0-9-]*\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|<![a-z][^>]*>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|tr|td|th|h[1-6]|section|article|blockquote|pre|table)\b[^>]*>",
                        re.I)

_MD_COMMENT = re.compile(r"^\s*\[(?://|comment|_)\]:\s*#.*$", re.M | re.I)
# a link reference definition ("[1]: https://... 'title'") renders as nothing; "[claim ref]: rear-end" is text
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+<?\S+>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*$", re.M)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_MD_EMPH = re.compile(r"(?<![\w*_~])(\*\*\*|\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)


def _drop_hidden_elements(text: str, dropped: list[str]) -> str:
    """Remove each element whose opening tag hides it, with everything up to its matching closing tag."""
    out, pos = [], 0
    for _ in range(200):  # bounded: an adversarial answer cannot make this loop long
        m = _HIDDEN_OPEN.search(text, pos)
        if m is None:
            break
        tag = m.group(1).lower()
        depth = 1
        pair = re.compile(rf"<(/?){tag}\b[^>]*?(/?)>", re.I)
        end = len(text)
        for t in pair.finditer(text, m.end()):
            if t.group(2):  # self-closing
                continue
            depth += -1 if t.group(1) else 1
            if depth == 0:
                end = t.end()
                break
        out.append(text[pos:m.start()])
        dropped.append(text[m.start():end])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _visible(text: str, dropped: list[str]) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    t = t.replace("\r\n", "\n").replace("\r", "\n")
    found = _INVISIBLE.findall(t)
    if found:
        t = _INVISIBLE.sub("", t)
        t = "".join(ch for ch in t if unicodedata.category(ch) != "Cf")
    if "<" in t:
        for rx in (_COMMENT, _RAW_BLOCK):
            dropped += [m.group(0) for m in rx.finditer(t)]
            t = rx.sub(" ", t)
        t = _drop_hidden_elements(t, dropped)
        t = _BLOCK_TAG.sub("\n", t)
        t = _TAG.sub("", t)
    if "&" in t:
        t = html.unescape(t)
        t = unicodedata.normalize("NFKC", _INVISIBLE.sub("", t))
    if "[" in t:
        dropped += [m.group(0) for m in _MD_COMMENT.finditer(t)]
        t = _MD_COMMENT.sub("", t)
        t = _MD_IMAGE.sub(r"\1", t)
        t = _MD_LINK.sub(r"\1", t)
        t = _MD_REF_DEF.sub("", t)
    if any(c in t for c in "*_~`"):
        t = _MD_CODE.sub(r"\1", t)
        for _ in range(3):  # nested emphasis (***bold italic***)
            t = _MD_EMPH.sub(r"\2", t)
    t = _MD_HEADING.sub("", t)
    t = re.sub(r"[ \t\u00a0]+", " ", t)
    t = re.sub(r" *\n[ \n]*", "\n", t)
    return t.strip()


# Learners' text is never memoised (no copy of an answer outlives its attempt); the work is a few regexes.


def shown(text: str) -> str:
    """What a person sees of `text` (the review screen shows this; see the module docstring)."""
    return _visible(text or "", [])


def hidden(text: str) -> list[str]:
    """The pieces of `text` that a reader never sees (HTML comments, hidden elements, Markdown comments)."""
    dropped: list[str] = []
    _visible(text or "", dropped)
    return [d.strip() for d in dropped if d.strip()]


# ------------------------------------------------------------------------------------------ look-alikes


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Non-Latin characters that Unicode lists as confusable with one ASCII letter or digit -> that character."""
    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    table: dict[int, str] = {}
    for ch, glyphs in data.items():
        if len(ch) != 1 or ch.isascii():
            continue
        for g in glyphs:
            c = g.get("c", "")
            if len(c) == 1 and c.isascii() and c.isalnum():
                table[ord(ch)] = c
                break
    return table


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if c.isascii() or "LATIN" in unicodedata.name(c, ""))
    return latin >= 0.5 * len(letters)


def fold(text: str) -> str:
    """Look-alike letters folded to the Latin ones they imitate, when `text` is mostly Latin."""
    if text.isascii() or not _mostly_latin(text):
        return text
    table = _fold_table()
    out = []
    for c in text:
        # keep real Latin letters with diacritics (é, ß): they are letters, not disguises
        if c.isascii() or "LATIN" in unicodedata.name(c, ""):
            out.append(c)
        else:
            out.append(table.get(ord(c), c))
    return "".join(out)


def graded(text: str) -> str:
    """The text every check reads: shown(text) with look-alike letters folded."""
    return fold(shown(text or ""))
