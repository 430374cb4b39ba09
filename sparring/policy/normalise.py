"""Undo the tricks that hide identifiers from a pattern matcher, and remember where every character came from.

People (and copy-paste from PDFs or chat tools) put zero-width spaces, soft hyphens, word joiners and
full-width digits inside identifiers: `HL-12\u200b34567` or `maria@\u00adexample.com` look normal on screen but
defeat a regex. Before analysis we drop invisible format characters and apply NFKC (full-width → ASCII,
ligatures → letters). Findings are located in the normalised text, so `Normalised.span()` maps them back to the
original: redaction and highlighting then cover exactly what the person typed, invisible characters included.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Invisible characters that should never separate two parts of an identifier. Category Cf covers zero-width
# space/joiners, bidi marks, word joiner, BOM and soft hyphen; the others are Hangul/Mongolian fillers that render
# as nothing.
_EXTRA_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u180e", "\u034f"}


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in _EXTRA_INVISIBLE


@dataclass(frozen=True)
class Normalised:
    original: str
    text: str
    # origin[i] = index in `original` of the character that produced text[i]; one extra entry at the end so that
    # an end offset equal to len(text) maps to len(original).
    origin: tuple[int, ...]

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the normalised span [start, end)."""
        if not self.changed:
            return start, end
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1 if end > start else o_start
        # Invisible characters right after the last visible one belong to the identifier they were hiding in only
        # when something visible follows inside the span; trailing ones stay outside.
        return o_start, o_end


def normalise(text: str) -> Normalised:
    """Strip invisible format characters and apply NFKC, keeping an offset map back to `text`."""
    if text.isascii():  # fast path: nothing to strip or fold
        return Normalised(text, text, ())
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if _invisible(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        for f in folded:
            out.append(f)
            origin.append(i)
    origin.append(len(text))
    return Normalised(text, "".join(out), tuple(origin))
