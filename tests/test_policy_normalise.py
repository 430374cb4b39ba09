"""Normalisation: invisible characters and NFKC, with offsets that map back to what the person typed."""

import pytest

from sparring.policy.normalise import normalise


@pytest.mark.parametrize("original,expected", [
    ("HL-12\u200b34567", "HL-1234567"),                    # zero-width space
    ("ma\u200bria\u200c@ex\u2060ample.com", "maria@example.com"),  # ZWSP, ZWNJ, word joiner
    ("4111\u00ad1111", "41111111"),                        # soft hyphen
    ("ＣＬＭ-２０２６", "CLM-2026"),                        # full-width letters and digits
    ("\ufeffJohn", "John"),                                # BOM at the start
    ("plain ascii text", "plain ascii text"),
])
def test_normalised_text(original, expected):
    assert normalise(original).text == expected


def test_spans_map_back_to_the_original_characters():
    original = "Ref: HL-12\u200b34567 ok"
    n = normalise(original)
    start = n.text.index("HL-1234567")
    o_start, o_end = n.span(start, start + len("HL-1234567"))
    assert original[o_start:o_end] == "HL-12\u200b34567"


def test_full_width_span_maps_back():
    original = "claim ＣＬＭ-２０２６ late"
    n = normalise(original)
    s = n.text.index("CLM-2026")
    o = n.span(s, s + 8)
    assert original[o[0]:o[1]] == "ＣＬＭ-２０２６"
