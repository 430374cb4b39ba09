"""Anti-gaming signals: how often they hold honest answers, how often they catch the attack library's copies and
keyword lists, and what they cost per answer (CPU time; they run inside every grade()).

    python bench/gaming_bench.py            # print the table
    python bench/gaming_bench.py --write    # also replace the "## Anti-gaming signals" section of docs/benchmarks.md

No grading here (no models): the signals are text statistics. Whether a held attack would otherwise have passed is
tests/test_security_gaming.py's business.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import sparring  # noqa: E402,F401 - offline environment first
import yaml  # noqa: E402

from benchdoc import write_section  # bench/ is on sys.path when a script runs

from sparring import gaming  # noqa: E402
from sparring.organisation import get_org  # noqa: E402
from sparring.grading.rubric import GradeContext, parse_answer  # noqa: E402

HOLD_ATTACKS = ["copy-title-outcome", "copy-brief", "copy-material", "copy-output", "copy-everything",
                "model-answer-verbatim", "model-answer-paraphrased", "model-answer-shuffled",
                "model-answer-plus-injection", "other-scenario-model-answer", "stuff-brief-words",
                "stuff-rubric-words", "stuff-rubric-list", "stuff-generic", "stuff-decisions", "pass-spam"]


def _text(org, sc, answer) -> tuple[str, dict | None]:
    parsed = parse_answer(sc, answer)
    return GradeContext(org=org, scenario=sc, answer=parsed).text, getattr(parsed, "flags", None)


def run() -> str:
    import test_security_gaming as attacks  # the attack library and its placeholder filling

    org = get_org(REPO)
    honest = [(org.scenarios[sid], ex.answer) for sid in sorted(org.scenarios) for ex in org.scenarios[sid].examples]
    genuine = yaml.safe_load((REPO / "tests" / "gaming" / "genuine_answers.yaml").read_text(encoding="utf-8"))
    honest_g = [(org.scenarios[g["scenario"]], g["answer"]) for g in genuine]
    rows = ["| answers | n | held |", "|---|---|---|"]
    for name, items in (("shipped examples", honest), ("hand-written genuine answers", honest_g)):
        held = 0
        for sc, a in items:
            text, flags = _text(org, sc, a)
            held += bool(gaming.holds(gaming.text_signals(sc, text, flags=flags, org=org)))
        rows.append(f"| {name} | {len(items)} | {held} |")
    by_id = {a["id"]: a for a in attacks.ATTACKS}
    texts = []
    rows += ["", "| attack | scenarios judged (≥ 8 words) | held |", "|---|---|---|"]
    for aid in HOLD_ATTACKS:
        judged = held = 0
        for sid, sc in sorted(org.scenarios.items()):
            text = attacks._fill(by_id[aid]["text"], sc, org)
            texts.append((sc, text))
            if len(gaming.words(text)) >= gaming.MIN_WORDS:
                judged += 1
                held += bool(gaming.holds(gaming.text_signals(sc, text, org=org)))
        rows.append(f"| {aid} | {judged} | {held} |")
    sample = [(sc, _text(org, sc, a)[0]) for sc, a in honest + honest_g] + texts
    for sc, t in sample:  # warm the caches of the scenarios' own texts, as in a running server
        gaming.text_signals(sc, t, org=org)
    rounds = 20
    t0 = time.process_time()
    for _ in range(rounds):
        for sc, t in sample:
            gaming.text_signals(sc, t, org=org)
    cpu_us = (time.process_time() - t0) / (rounds * len(sample)) * 1e6
    return ("## Anti-gaming signals\n\n"
            f"`python bench/gaming_bench.py` — {date.today().isoformat()}, {os.cpu_count()} cores, 24 GB, Python "
            f"{platform.python_version()}, no GPU (measured while other work ran). The hold rule is in "
            "docs/security.md, section 4.\n\n" + "\n".join(rows) + "\n\n"
            "copy-material and copy-everything are not held on the 7 frame scenarios by design (a prompt may carry "
            "the material; the personal data pasted with it fails the policy criterion there). Every held or "
            "policy-failed case earns no pass: tests/test_security_gaming.py.\n\n"
            f"Cost: **{cpu_us:.0f} µs CPU per answer** for all text signals ({len(sample)} answers × {rounds} rounds, "
            f"{len(org.scenarios)} scenarios' model answers compared), paid once per attempt, in grade() "
            "(practice.attempt reuses them).\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    text = run()
    print(text)
    if args.write:
        write_section("## Anti-gaming signals", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
