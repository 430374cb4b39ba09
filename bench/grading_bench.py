"""Latency of a full grade (policy + every criterion, no LLM) for each shipped scenario, warm, and its cost
against the bare parts: one Presidio analysis plus one batched embedding call of the same text.

    python bench/grading_bench.py [--reps 20] [--root .] [--out FILE] [--write]

`--write` replaces this script's own section of docs/benchmarks.md (bench/benchdoc.py write_section).

The workload is each scenario's labelled example answers and its model answer (as a prompt / justification /
flags). Every grade goes through `sparring.grading.rubric.grade`, the path the web app and CLI use.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sparring.organisation import get_org  # noqa: E402
from sparring.grading import embeddings, semantic_engine as se  # noqa: E402
from sparring.grading.rubric import GradeContext, grade, parse_answer  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(q * (len(xs) - 1))))
    return xs[k]


def workload(scenario) -> list[dict]:
    answers = [ex.answer for ex in scenario.examples]
    return answers or []


def bare(org, scenario, answer) -> float:
    """One Presidio analysis and one batched embedding call of the same text: the floor a grade cannot beat."""
    parsed = parse_answer(scenario, answer)
    ctx = GradeContext(org=org, scenario=scenario, answer=parsed)
    text = ctx.text
    units = se.sentences(text) or [text or " "]  # the answer's sentences: what any sentence-level grader embeds
    pid = scenario.policy or ("external-ai" if "external-ai" in org.policies else None)
    t = time.perf_counter()
    if pid:
        org.policy_engine(pid).check(text)
    embeddings.embed(units)
    return time.perf_counter() - t


def run(root: Path, reps: int) -> tuple[list[dict], dict]:
    org = get_org(root)
    embeddings.warm_up()
    rows = []
    all_full: list[float] = []
    all_cpu: list[float] = []
    ratios: list[float] = []
    for sc in sorted(org.scenarios.values(), key=lambda s: s.id):
        answers = workload(sc)
        if not answers:
            continue
        for a in answers:  # warm: engines built, authored texts remembered
            grade(org, sc, a)
            bare(org, sc, a)
        full: list[float] = []
        cpu: list[float] = []
        parts: list[float] = []
        for _ in range(reps):
            for a in answers:
                t, c = time.perf_counter(), time.process_time()
                grade(org, sc, a)
                full.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                parts.append(bare(org, sc, a))
        ratio = statistics.median(f / p for f, p in zip(full, parts) if p > 0)
        all_full += full
        all_cpu += cpu
        ratios.append(ratio)
        rows.append({"scenario": sc.id, "kind": sc.kind, "criteria": len(sc.rubric.criteria), "n": len(full),
                     "p50": pct(full, 0.5) * 1000, "p95": pct(full, 0.95) * 1000, "cpu_p50": pct(cpu, 0.5) * 1000,
                     "bare_p50": pct(parts, 0.5) * 1000, "ratio": ratio})
    summary = {"p50": pct(all_full, 0.5) * 1000, "p95": pct(all_full, 0.95) * 1000,
               "cpu_p50": pct(all_cpu, 0.5) * 1000, "cpu_p95": pct(all_cpu, 0.95) * 1000,
               "load": os.getloadavg()[0], "loads": os.getloadavg(),
               "cpu": next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                            if ln.startswith("model name")), platform.processor() or "unknown"),
               "ratio": statistics.median(ratios) if ratios else 0.0, "max_ratio": max(ratios) if ratios else 0.0,
               "n": len(all_full)}
    return rows, summary


SECTION = "## Full grade latency (bench/grading_bench.py)"


def to_markdown(rows: list[dict], s: dict, reps: int) -> str:
    lines = [SECTION, "",
             f"Run {date.today().isoformat()} on this machine ({os.cpu_count()} cores, CPU {s['cpu']}, 24 GB, "
             f"Python {platform.python_version()}, "
             f"no GPU, torch CPU), warm, {reps} rounds over each scenario's labelled example answers; no LLM. "
             "`bare` = one Presidio analysis of the answer text plus one batched MiniLM call on its sentences (not the grader's extra clause and framing-free forms), "
             "measured in the same run; `ratio` = median of grade time / bare time per attempt. MiniLM runs with one "
             "torch thread; a grade starts its embeddings in a background worker while Presidio runs, so the two "
             "parts overlap on the 2 cores (the bare parts run one after the other).", "",
             "`CPU` = process CPU time of the grade (all threads), which other load on the machine disturbs less than "
             "wall time; load average (1/5/15 min) at the end of the run: "
             f"{s['loads'][0]:.2f} / {s['loads'][1]:.2f} / {s['loads'][2]:.2f}.", "",
             "| scenario | kind | criteria | grades | p50 ms | p95 ms | CPU p50 ms | bare p50 ms | ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['kind']} | {r['criteria']} | {r['n']} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['cpu_p50']:.1f} | {r['bare_p50']:.1f} | {r['ratio']:.2f} |")
    lines += ["", f"**All scenarios: p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms wall (CPU p50 {s['cpu_p50']:.1f} ms, "
              f"p95 {s['cpu_p95']:.1f} ms) over {s['n']} grades; overhead "
              f"over the bare parts: median {s['ratio']:.2f}x (worst scenario {s['max_ratio']:.2f}x).** Targets: "
              "p50 ≤ 60 ms, p95 ≤ 150 ms, overhead ≤ 1.5x."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(ROOT))
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out", default=None, help="also write the Markdown table to this file")
    ap.add_argument("--write", action="store_true", help="replace this script's section of docs/benchmarks.md")
    args = ap.parse_args()
    rows, summary = run(Path(args.root), args.reps)
    md = to_markdown(rows, summary, args.reps)
    print(md)
    if args.out:
        Path(args.out).write_text(md, encoding="utf-8")
    if args.write:
        from benchdoc import write_section  # bench/ is on sys.path when the script runs
        write_section(SECTION, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
