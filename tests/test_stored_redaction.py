"""Nothing personal at rest (issue 14): one rule decides what is stored (sparring/redaction.py), and feedback and
evidence are rebuilt from the redacted text instead of being scrubbed by exact strings afterwards.

The canary test sends canaries (names in several scripts, spelled-out contact details, UK NI forms, ...) through
every free-text field a person can fill in — frame prompt, spot reasons, trust justification, review question,
mentor comment — and then scans every column of every table of the database, the log and both exports, after
NFKC, removing zero-width characters and collapsing whitespace. A canary the policy engine cannot detect yet is
marked xfail(strict=True): detection is the `detect` work (issue 14 item 2); once it finds them the mark fails
and must be removed.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring import practice, review
from sparring.organisation import get_org
from sparring.insights import export
from sparring.redaction import UNCHECKED, storage_policy
from sparring.store.db import Store

REPO = Path(__file__).resolve().parent.parent
FRAME = "support-delayed-claim"
SPOT = "support-final-response-letter"
TRUST = "support-laptop-damaged-abroad"
_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalised(text: str) -> str:
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    return " ".join(text.split()).casefold()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        try:
            inner = json.loads(value)
        except (ValueError, RecursionError):
            return
        if not isinstance(inner, str):
            yield from _strings(inner)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def at_rest(db_path: Path) -> str:
    """Every text value of every column of every table (JSON values opened up), normalised."""
    con = sqlite3.connect(db_path)
    out = []
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    if isinstance(v, bytes):
                        v = v.decode("utf-8", "replace")
                    out.extend(_strings(v))
    finally:
        con.close()
    return normalised("\n".join(out))


# ------------------------------------------------------------------------------ an organisation's other name


@pytest.fixture(scope="module")
def renamed_org(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample organisation with its only policy called `outside-tools` (not `external-ai`)."""
    root = tmp_path_factory.mktemp("renamed")
    for name in ("scenarios", "policies", "graders"):
        shutil.copytree(REPO / name, root / name)
    for p in root.rglob("*.yaml"):
        p.write_text(p.read_text(encoding="utf-8").replace("external-ai", "outside-tools"), encoding="utf-8")
    (root / "policies" / "external-ai.yaml").rename(root / "policies" / "outside-tools.yaml")
    o = get_org(root)
    assert not o.problems and list(o.policies) == ["outside-tools"]
    return o


def test_the_storage_policy_is_decided_in_one_place(org: Any, renamed_org: Any) -> None:
    assert storage_policy(org, None) == "external-ai"
    assert storage_policy(renamed_org, None) == "outside-tools"  # not "no policy": the first one the org has
    assert storage_policy(renamed_org, "outside-tools") == "outside-tools"
    assert storage_policy(renamed_org, "gone") == "outside-tools"

    class NoPolicies:
        policies: dict[str, Any] = {}

    assert storage_policy(NoPolicies(), "external-ai") is None
    assert review._redact(NoPolicies(), None, "call Maria Lopez") == UNCHECKED


def _quote_cut(prefix: str, name: str, limit: int = 100) -> str:
    """`prefix` padded so that quote(..., limit) cuts `name` in the middle."""
    pad = max(0, limit - 1 - len(prefix) - len(name) // 2)
    return prefix + " " + "very " * (pad // 5) + name


def test_other_policy_name_whitespace_variants_and_cut_quotes_store_nothing_raw(renamed_org: Any,
                                                                                   tmp_path: Path) -> None:
    first = _quote_cut("Personal possessions cover is optional, so we must check the schedule for", "Delroy "
                       "Achterberg") + " on 07700  900254 before we say yes."
    second = "The answer assumes the customer has cover that nobody\tconfirmed, says\t07700\t900254 to Fatima Okonkwo."
    answer = {"decision": "verify", "confidence": 0.8, "justification": f"{first} {second}"}
    store = Store(tmp_path / "r.db")
    try:
        out = practice.attempt(renamed_org, store, TRUST, "ann", answer)
        shown = " ".join(c.feedback for c in out.grade.criteria)
        assert "“" in shown and "…" in shown  # the learner's sentences are quoted, one of them cut at the limit
        # quotes are cut between words (grading/quotes.py), so the cut falls before or after the name, never
        # inside it; either way the stored copy is rebuilt from the redacted sentence (checked below)
        spot = practice.attempt(renamed_org, store, SPOT, "ann", {"flags": {
            "s4": "The fee is wrong; ask Fatima Okonkwo at fatima.okonkwo@example.com about it."}})
        assert spot.attempt_id is not None
        rest = at_rest(tmp_path / "r.db")
    finally:
        store.close()
    for raw in ("Delroy", "Achterberg", "Okonkwo", "Fatima", "900254", "fatima.okonkwo@example.com"):
        assert normalised(raw) not in rest, raw
    assert "<person>" in rest and "<phone_number>" in rest and "<email_address>" in rest
    # the stored feedback still quotes the learner, from the redacted sentence
    assert "“personal possessions cover is optional, so we must check the schedule for" in rest


# --------------------------------------------------------------------------------------------- canaries

DETECT = "the policy engine does not detect this form yet (issue 14 item 2, `detect` branch)"
CANARIES: list[tuple[str, str, str | None]] = [
    # (canary, the sentence that carries it, why it may still survive)
    ("Maria Lopez", "Please call Maria Lopez back today.", None),
    ("Fatima Okonkwo", "The adjuster spoke to Fatima Okonkwo yesterday.", None),
    ("Delroy Achterberg", "Mr Delroy Achterberg asked for an update.", None),
    ("Siobhan McCarthy", "Siobhan McCarthy is the policyholder.", None),
    ("Tomasz Wiśniewski", "Tomasz Wiśniewski rang about the claim.", None),
    ("Ngozi Adeyemi", "Ngozi Adeyemi will send the photos.", None),
    ("maria.lopez@brightmail.co.uk", "Her email is maria.lopez@brightmail.co.uk for the record.", None),
    ("d.achterberg@postbox.example", "Write to d.achterberg@postbox.example with the outcome.", None),
    ("07700 900481", "Her phone is 07700 900481 after five.", None),
    ("+44 7700 900123", "His mobile is +44 7700 900123 if needed.", None),
    ("HL-1234567", "The policy number is HL-1234567 on the schedule.", None),
    ("HL-7654321", "Policy HL-7654321 renews in May.", None),
    ("CLM-2024-004512", "The claim reference is CLM-2024-004512.", None),
    ("E-204519", "The handler's employee id is E-204519.", None),
    ("4111 1111 1111 1111", "She paid with card 4111 1111 1111 1111 last year.", None),
    ("GB82 WEST 1234 5698 7654 32", "Refund to IBAN GB82 WEST 1234 5698 7654 32 please.", None),
    ("AB 12 34 56 C", "His National Insurance number is AB 12 34 56 C.", None),
    ("943 476 5919", "Her NHS number is 943 476 5919.", None),
    ("14 Orchard Lane", "She lives at 14 Orchard Lane, near the station.", None),
    ("LS1 4AB", "The postcode is LS1 4AB for the visit.", None),
    ("192.168.14.77", "The portal logged her from 192.168.14.77 on Monday.", None),
    ("Project Kestrel", "This is for Project Kestrel only.", None),
    ("12/03/1984", "Her date of birth is 12/03/1984.", None),
    ("Иван Петров", "Клиент Иван Петров called about the leak.", None),
    ("Γιώργος Παπαδόπουλος", "The customer Γιώργος Παπαδόπουλος called twice.", None),
    ("山田太郎", "The customer 山田太郎 called about the claim.", None),
    ("grace dot hopper at harbourline dot example", "Email her at grace dot hopper at harbourline dot example.",
     None),
    ("oh seven seven double oh nine hundred two five four",
     "Ring him on oh seven seven double oh nine hundred two five four.", None),
    ("QQ 12 34 56 C", "The NI number is QQ 12 34 56 C on the form.", None),
    ("QQ123456C", "NI QQ123456C was given on the phone.", None),
    ("Jürgen Baumgärtner", "Jürgen Baumgärtner wants a callback.", None),
    ("Aoife Ní Bhriain", "Aoife Ní Bhriain is the named driver.", None),
]
CHUNK = 4  # sentences per text: realistic lengths, and one detector miss does not hide the others


def _texts() -> list[str]:
    sents = [s for _, s, _ in CANARIES]
    return [" ".join(sents[i:i + CHUNK]) for i in range(0, len(sents), CHUNK)]


@pytest.fixture(scope="module")
def canary_run(org: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every canary through every free-text field, by the functions the app calls; then what is at rest."""
    tmp = tmp_path_factory.mktemp("canaries")
    log_lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log_lines.append(self.format(record))

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    store = Store(tmp / "c.db")
    try:
        for i, text in enumerate(_texts()):
            learner = f"learner{i}"
            ids = [practice.attempt(org, store, FRAME, learner, {"prompt": "Draft a reply to [customer]. " + text}
                                    ).attempt_id,
                   practice.attempt(org, store, SPOT, learner, {"flags": {"s4": text, "s5": "Wrong: " + text}}
                                    ).attempt_id,
                   practice.attempt(org, store, TRUST, learner, {"decision": "verify", "confidence": 0.7,
                                                                 "justification": text}).attempt_id]
            for aid in ids:
                assert aid is not None
                open_ = store.one("SELECT id FROM reviews WHERE attempt_id = ? AND status = 'open'", [aid])
                rid = open_["id"] if open_ else review.request_review(org, store, aid, learner,
                                                                       "Is this right? " + text)
                review.answer_review(org, store, rid, "mentor", "Good try. " + text)
        n = export.write_csv(store, tmp / "out.csv")
        assert n >= 3 * len(_texts())
        rows = export.attempt_rows(store)
        xapi = json.dumps(export.statements(org, rows), ensure_ascii=False)
    finally:
        store.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
    return {"db": at_rest(tmp / "c.db"), "csv": normalised((tmp / "out.csv").read_text(encoding="utf-8")),
            "xapi": normalised(xapi), "log": normalised("\n".join(log_lines))}


def test_at_least_thirty_canaries_in_several_scripts() -> None:
    assert len(CANARIES) >= 30
    scripts = {unicodedata.name(ch).split()[0] for c, _, _ in CANARIES for ch in c if ch.isalpha()}
    assert {"LATIN", "CYRILLIC", "GREEK", "CJK"} <= scripts
    assert all(c in s for c, s, _ in CANARIES)


@pytest.mark.parametrize("canary", [
    pytest.param(c, id=c, marks=[pytest.mark.xfail(strict=True, reason=why)] if why else [])
    for c, _, why in CANARIES])
def test_no_canary_at_rest(canary_run: dict[str, str], canary: str) -> None:
    needle = normalised(canary)
    where = [name for name, text in canary_run.items() if needle in text]
    assert not where, f"{canary!r} found at rest in {where}"


def test_the_scan_would_see_a_canary(canary_run: dict[str, str]) -> None:
    # the stored texts are there, redacted: the scan reads real content, not an empty database
    assert "<person>" in canary_run["db"] and "<email_address>" in canary_run["db"]
    assert normalised("Is this right?") in canary_run["db"] and normalised("Good try.") in canary_run["db"]
