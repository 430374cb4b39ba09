"""Sparring's own labelled PII set for the policy benchmark: the kinds of text synth v2 lacks.

Written for Sparring (templates and fillers are our own, not taken from synth v2 or from any issue text), and
generated deterministically (seeded) so every run scores the same 446 texts:

- `contact`: signature and contact blocks, numbers glued to their labels ('Tel:07700900123', 'Mob.+44 ...',
  'phone07700 ...') or with the label after them;
- `scripts`: names in Cyrillic, Greek, Han, kana, Hangul, Arabic and Hebrew inside English sentences;
- `spelled`: emails spelled out ('x dot y at domain dot com', 'x [at] domain [dot] org') and phone numbers in
  words ('oh seven seven double oh nine ...');
- `prompts`: ordinary requests to an AI assistant with names, emails, phones, cards, IBANs, SSNs, IPs;
- `clean`: texts with look-alikes and no personal data (precision);
- `lower`: the prompts and contact blocks again, typed all in lower case.

Each text carries gold spans of the 7 entity types the benchmark scores. Names are built from given names and
surnames we chose from many languages; the rules were not tuned on this set's output before it was written,
but it was written by the same people as the rules, so read it as a check of the stated causes, not as held-out
data.
"""

from __future__ import annotations

import random
import re

GIVEN = """Aurelia Tobiasz Keoni Ifeoma Rasmus Dagny Mateus Soraya Emeka Leontyne Bartholomew Ingrid Yusuf Marisol
Oskar Niamh Thandiwe Kasimir Elodie Radomir Anouk Lorcan Perpetua Jurgis Saoirse Folasade Henrike Dovydas Leocadia
Ambrose Zofia Matteo Wanjiru Teodora Ignacy Solveig Caetano Nkechi Anselm Liesel""".split()
SURNAMES = """Brandt Wrona Kahale Chukwu Lindqvist Holm Ribeiro Haddad Obi Achterberg Pemberton Varga Oyelaran
Castellanos Mikkelsen Dunleavy Mokoena Wieczorek Lefranc Zhukovsky Verhoeven Gallagher Onwuachi Petrauskas
Kowalczyk Adeyinka Baumgartner Rasmussen Quaranta Nakashima Eriksdottir Fairweather Moreau Abernathy Szymańska
Ferreira Lungu Halloran Dvořák Ostrowski""".split()
NON_LATIN = ["Ольга Смирнова", "Пётр Волков", "Анастасия Кузнецова", "Ελένη Παπαδοπούλου", "Γιώργος Νικολάου",
             "佐藤花子", "鈴木一郎", "王小明", "李娜", "박지훈", "이서연", "فاطمة حسن", "يوسف خالد", "דוד כהן",
             "Сергей Иванов", "Δημήτρης Κωνσταντίνου", "山本 太郎", "김민수"]
DOMAINS = ["example.com", "mailbox.example", "harbour-mail.co.uk", "kestrelpost.net", "firma.pl", "correo.es"]
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return digits + str((10 - total % 10) % 10)


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + \
        "".join(str(rng.randrange(10)) for _ in range(14))
    moved = bban + "GB00"
    num = int("".join(str(int(c, 36)) for c in moved))
    check = 98 - num % 97
    iban = f"GB{check:02d}{bban}"
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.6 else iban


def _phone(rng: random.Random) -> str:
    tail = f"{rng.randrange(1000):03d}"
    return rng.choice([f"07700 900{tail}", f"07700900{tail}", f"+44 7700 900{tail}", f"0161 496 0{tail}",
                       f"020 7946 0{tail}", f"+353 87 555 {rng.randrange(10000):04d}"])


def _spoken(phone: str, rng: random.Random) -> str:
    digits = re.sub(r"\D", "", phone)
    out, i = [], 0
    while i < len(digits):
        d = digits[i]
        word = "oh" if d == "0" and rng.random() < 0.6 else DIGIT_WORDS[int(d)]
        if i + 1 < len(digits) and digits[i + 1] == d and rng.random() < 0.5:
            out.append(f"double {word}")
            i += 2
        else:
            out.append(word)
            i += 1
    return " ".join(out)


def _ascii(s: str) -> str:
    return (s.replace("ń", "n").replace("ř", "r").replace("á", "a").lower())


class _Builder:
    """Concatenates pieces of text and records the spans of the labelled ones."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[str, int, int]] = []
        self.pos = 0

    def add(self, text: str, entity: str | None = None) -> None:
        if entity:
            self.spans.append((entity, self.pos, self.pos + len(text)))
        self.parts.append(text)
        self.pos += len(text)

    def done(self, kind: str) -> dict:
        return {"kind": kind, "text": "".join(self.parts), "spans": self.spans}


def _fill(template: str, values: dict[str, tuple[str, str | None]], kind: str) -> dict:
    b = _Builder()
    for piece in re.split(r"(\{[A-Z0-9_]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            b.add(*values[piece[1:-1]])
        elif piece:
            b.add(piece)
    return b.done(kind)


PROMPTS = [
    "Can you tidy up this note before I send it: {NAME} rang at ten and wants a callback on {PHONE}.",
    "Draft a short reply to {NAME} ({EMAIL}) saying the assessor is booked for next week.",
    "Rewrite this so it sounds kinder: the card {CARD} was charged twice and {NAME} wants it reversed.",
    "Our logs show three failed logins from {IP} on the account of {NAME}. Summarise for the security team.",
    "Please check the refund details: IBAN {IBAN}, account holder {NAME}.",
    "The US claimant {NAME} gave SSN {SSN} on the form; explain what a deductible is to them.",
    "Turn these notes into an email: spoke to {NAME}, new mobile {PHONE}, prefers {EMAIL} for documents.",
    "Why would a payment from {IBAN} bounce? The customer, {NAME}, is upset.",
    "Make a table of who to call back today: {NAME} on {PHONE}, and {NAME2} on {PHONE2}.",
    "Translate for the Madrid office: {NAME} has moved and her email is now {EMAIL}.",
    "Is this phishing? A message from {EMAIL} asked {NAME} to confirm the card {CARD}.",
    "Write a handover: {NAME} is off until Monday, {NAME2} covers the claims queue, router at {IP} needs a reboot.",
]
CONTACT = [
    "{NAME}\nClaims Team\nTel:{PHONE_GLUED}\nEmail: {EMAIL}",
    "Best wishes,\n{NAME}\nMob.{PHONE}\n{EMAIL}",
    "{NAME} | Senior Adjuster | phone{PHONE_GLUED} | {EMAIL}",
    "Kind regards\n\n{NAME}\nT: {PHONE}\nM: {PHONE2}\nE: {EMAIL}",
    "-- \n{NAME}\nLoss Adjuster, North Region\n{PHONE} office\n{PHONE2} mobile",
    "From: {NAME} <{EMAIL}>\nSent: Tuesday\nSubject: roof claim\n\nPlease call me on{PHONE_GLUED}.",
    "Contact\nName: {NAME}\nPhone:{PHONE_GLUED}\nE-mail: {EMAIL}\nIP of last login: {IP}",
]
SCRIPTS = [
    "Please reply to {NONLATIN} about the delayed payment.",
    "The customer {NONLATIN} sent photos of the damage this morning.",
    "Dear {NONLATIN}, thank you for your patience with the claim.",
    "{NONLATIN} called twice about the roof; can you draft a reply?",
    "Add {NONLATIN} as the second driver on the policy and summarise the change.",
    "Summarise the complaint from {NONLATIN} in three bullet points.",
]
SPELLED = [
    "she said to write to {EMAIL_SPELLED} if the link fails",
    "Her number is {PHONE_WORDS}, best after six.",
    "contact for the broker: {EMAIL_BRACKETED}",
    "He read his mobile out as {PHONE_WORDS} - can you draft a text to him?",
    "Send the quote to {EMAIL_SPELLED}, not to the old address.",
    "You can reach {NAME} on {PHONE_WORDS} or at {EMAIL_BRACKETED}.",
]
CLEAN = [
    "The excess went up on 3 Jan and the renewal is due in Sept.",
    "Ticket INC-20391 is about error 0x80070005 when uploading photos.",
    "The boiler is rated at 24 kW and the tank holds 150 litres.",
    "Can AI help me explain the NI contributions table to a new starter?",
    "The Loss Adjuster and the Claims Handler agreed the figure of £1,250.00.",
    "Version 2.3.1 fixed the export; see the release notes dated 12/03/2026.",
    "The van was parked on the drive when the tree came down.",
    "Write to [customer] about <POLICY_NUMBER> and ask for {{document}}.",
    "Our SLA is 5 working days; last quarter we averaged 4.2 days.",
    "The Head of Claims wants a summary of the Storm Ciara claims by Friday.",
    "The contractor from Jones and Sons quoted 3,400 for the roof.",
    "Explain the difference between buildings and contents cover in plain English.",
]


def own_set(seed: int = 20261203) -> list[dict]:
    """The labelled texts: [{'kind', 'text', 'spans': [(entity, start, end)]}]."""
    rng = random.Random(seed)
    out: list[dict] = []

    def values() -> dict[str, tuple[str, str | None]]:
        g, s = rng.choice(GIVEN), rng.choice(SURNAMES)
        g2, s2 = rng.choice(GIVEN), rng.choice(SURNAMES)
        phone, phone2 = _phone(rng), _phone(rng)
        local = rng.choice([f"{_ascii(g)}.{_ascii(s)}", f"{_ascii(g)[0]}{_ascii(s)}", f"{_ascii(g)}{rng.randrange(10, 99)}"])
        domain = rng.choice(DOMAINS)
        glued = re.sub(r"\s", "", phone) if rng.random() < 0.5 else phone
        sep = rng.choice([" dot ", " DOT ", " [dot] ", " (dot) "])
        dom_spelled = domain.replace(".", sep if "[" in sep or "(" in sep else " dot ")
        loc_spelled = local.replace(".", " dot ")
        at = " [at] " if "[" in sep else " (at) " if "(" in sep else " at "
        return {
            "NAME": (f"{g} {s}", "PERSON"), "NAME2": (f"{g2} {s2}", "PERSON"),
            "PHONE": (phone, "PHONE_NUMBER"), "PHONE2": (phone2, "PHONE_NUMBER"),
            "PHONE_GLUED": (glued, "PHONE_NUMBER"),
            "EMAIL": (f"{local}@{domain}", "EMAIL_ADDRESS"),
            "EMAIL_SPELLED": (f"{loc_spelled} at {domain.replace('.', ' dot ')}", "EMAIL_ADDRESS"),
            "EMAIL_BRACKETED": (f"{local}{at}{dom_spelled}", "EMAIL_ADDRESS"),
            "PHONE_WORDS": (_spoken(phone, rng), "PHONE_NUMBER"),
            "CARD": (" ".join(re.findall(".{4}", _luhn_complete(rng.choice(["4", "51", "55"]), 16, rng))),
                     "CREDIT_CARD"),
            "IBAN": (_iban(rng), "IBAN_CODE"),
            "SSN": (f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}", "US_SSN"),
            "IP": (f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                   "IP_ADDRESS"),
            "NONLATIN": (rng.choice(NON_LATIN), "PERSON"),
        }

    for kind, templates, n in (("prompts", PROMPTS, 10), ("contact", CONTACT, 14), ("scripts", SCRIPTS, 12),
                               ("spelled", SPELLED, 12), ("clean", CLEAN, 2)):
        for t in templates:
            for _ in range(n):
                out.append(_fill(t, values(), kind))
    base = [x for x in out if x["kind"] in ("prompts", "contact")]
    for x in rng.sample(base, 60):
        out.append({"kind": "lower", "text": lower_same_length(x["text"]), "spans": x["spans"]})
    return out


def lower_same_length(text: str) -> str:
    """The text in lower case, letter by letter where that keeps its length (spans stay valid)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


if __name__ == "__main__":
    import collections

    rows = own_set()
    print(len(rows), collections.Counter(r["kind"] for r in rows))
    for r in rows[::37]:
        print(repr(r["text"]), [(e, r["text"][s:t]) for e, s, t in r["spans"]])
