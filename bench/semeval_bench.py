"""The `semantic` grader on SemEval-2013 Task 7 (2-way: correct / incorrect student answers).

    python bench/semeval_bench.py [--data ../shared/bench-data/semeval2013-task7] [--write] [--out FILE]
        [--splits unseen-questions] [--subset N --seed S]

`--write` replaces this script's own section of docs/benchmarks.md (bench/benchdoc.py write_section), with the
date, CPU model and load average. `--subset N` grades a seeded random subset of N questions of every split
(training included), for a run that must finish in bounded time; the text then says so.

Everything is tuned on `training/` only and reported on each test split. Nothing fitted here ships in the product
(the data is CC BY-SA): the product's grader uses its fixed defaults; this script fits its own small combination
at run time and throws it away.

Systems compared in the same run:
- baseline: MiniLM cosine to the closest reference answer, one threshold tuned on training;
- grader: the product's `semantic` score (semantic_engine.match: sentence/clause units, cosine lifted by lexical
  recall, negation-aware) against the reference answers, threshold tuned on training;
- grader+examples: the PRODUCT's example-aware `semantic` grader (sparring/grading/exemplars.py, through
  kinds.semantic.matches, as `sparring grade`/`test`/`calibrate` run it). Each question becomes a trust scenario
  whose `semantic` criterion expects the reference answers (match: any) and whose labelled `examples` are the
  question's training answers (correct → `passed_criteria`, incorrect → `failed`). Its fixed formula has no
  constant fitted here; the one threshold per corpus is tuned on training with every training answer graded
  leave-one-out (what `sparring calibrate` does for an author). Only possible when the question has labelled
  answers, i.e. unseen-answers; on unseen-questions the grader alone applies.
- reference-only: the PRODUCT's `semantic` grader as a brand-new scenario gets it, with no labelled answer of the
  question: `expect` = the reference answers, plus the near misses generated from them (grading/contrasts.py:
  negated, reversed, opposite, wrong figure) as failing exemplars, and the whole-answer contradiction checks
  (grading/logic.py, figures.py). One threshold per corpus, tuned on training scored the same way (no labels of
  any test question are used). Reported on every split, unseen-questions above all.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import platform
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sparring.content.models import Example, TrustAnswer, TrustScenario  # noqa: E402
from sparring.grading import embeddings, semantic_engine as se  # noqa: E402
from sparring.grading.kinds.semantic import SemanticOptions, matches  # noqa: E402
from sparring.grading.rubric import GradeContext  # noqa: E402


@dataclass
class Item:
    qid: str
    text: str
    label: int  # 1 correct, 0 incorrect


@dataclass
class Split:
    name: str
    refs: dict[str, list[str]]
    items: list[Item]


def subset(split: Split, n: int | None, seed: int) -> Split:
    """A seeded random subset of `n` questions of the split (all of it when n is None or larger)."""
    if n is None or n >= len(split.refs):
        return split
    keep = set(random.Random(seed).sample(sorted(split.refs), n))
    return Split(split.name, {q: r for q, r in split.refs.items() if q in keep},
                 [it for it in split.items if it.qid in keep])


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    return {"cpu": cpu, "cores": os.cpu_count(), "load": os.getloadavg()}


def load(folder: Path, name: str) -> Split:
    refs: dict[str, list[str]] = {}
    items: list[Item] = []
    for f in sorted(folder.glob("*.xml")):
        q = ET.parse(f).getroot()
        qid = q.get("id")
        refs[qid] = [r.text.strip() for r in q.iter("referenceAnswer") if r.text and r.text.strip()]
        for a in q.iter("studentAnswer"):
            items.append(Item(qid, (a.text or "").strip(), 1 if a.get("accuracy") == "correct" else 0))
    return Split(name, refs, items)


# ------------------------------------------------------------------------------------------- features


REF_ONLY = os.environ.get("SEMEVAL_REFERENCE_ONLY") == "1"  # skip the slow example-aware system
CACHE = Path(os.environ.get("SEMEVAL_CACHE", "/tmp/sparring-semeval-embeddings.npz"))  # never in the repo


def encode_all(texts: list[str]) -> dict[str, np.ndarray]:
    uniq = list(dict.fromkeys(texts))
    known: dict[str, np.ndarray] = {}
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=False)
        known = dict(zip(z["texts"].tolist(), z["vecs"]))
    todo = [t for t in uniq if t not in known]
    if todo:
        vecs = embeddings.get_model().encode(todo, batch_size=128, convert_to_numpy=True,
                                             normalize_embeddings=True, show_progress_bar=False)
        known.update(zip(todo, vecs))
        np.savez(CACHE, texts=np.array(list(known)), vecs=np.stack(list(known.values())))
    return {t: known[t] for t in uniq}


def grader_scores(split: Split, vec: dict[str, np.ndarray]) -> np.ndarray:
    """The product's semantic score of each answer against its question's reference answers (match: any)."""
    out = np.zeros(len(split.items))
    for i, it in enumerate(split.items):
        units, _ = se.split_units(it.text)
        if not units:
            continue
        prep = se.Prepared(units, np.stack([vec[u.text] for u in units]))
        out[i] = max(se.match(prep, r).score for r in split.refs[it.qid])
    return out


def baseline_scores(split: Split, vec: dict[str, np.ndarray]) -> np.ndarray:
    return np.array([max(float(vec[it.text] @ vec[r]) for r in split.refs[it.qid]) for it in split.items])


def _prep(text: str, vec: dict[str, np.ndarray]) -> se.Prepared | None:
    units, _ = se.split_units(text)
    return se.Prepared(units, np.stack([vec[u.text] for u in units])) if units else None


def question_scenario(qid: str, refs: list[str], train: Split) -> tuple[TrustScenario, SemanticOptions, list[int]]:
    """The question as a product scenario: one `semantic` criterion expecting the reference answers, and the
    question's labelled training answers as its `examples`. Returns the scenario, its criterion and, per example,
    the index of the training answer it came from."""
    crit = SemanticOptions(id="correct", check="semantic", expect=refs)
    examples, origin = [], []
    for j, it in enumerate(train.items):
        if it.qid != qid or not it.text:
            continue
        expect = {"passed": bool(it.label), "passed_criteria": ["correct"]} if it.label else \
            {"passed": False, "failed": ["correct"]}
        examples.append(Example(name=f"a{j}", answer={"decision": "verify", "justification": it.text},
                                expect=expect))
        origin.append(j)
    sc = TrustScenario.model_validate({
        "id": f"semeval-{qid}".lower().replace("_", "-")[:60], "title": qid, "kind": "trust",
        "roles": ["learner"], "skills": ["science"], "workflow": "SemEval", "outcome": "Answers correctly",
        "brief": "Answer the question.", "output": "-", "decision": {"expected": "verify"},
        "rubric": {"pass": 0.5, "criteria": [crit.model_dump(exclude_none=True)]}})
    sc.rubric.criteria = [crit]
    sc.examples = examples
    return sc, crit, origin


def reference_only_scores(split: Split, vec: dict[str, np.ndarray]) -> np.ndarray:
    """The product's semantic grader with the reference answers and their generated contrasts only."""
    empty = Split("none", {}, [])
    scen: dict[str, tuple] = {}
    out = np.zeros(len(split.items))
    for i, it in enumerate(split.items):
        if it.qid not in scen:
            scen[it.qid] = question_scenario(it.qid, split.refs[it.qid], empty)
        sc, crit, _ = scen[it.qid]
        prep = _prep(it.text, vec)
        if prep is None:
            continue
        answer = TrustAnswer(decision="verify", confidence=0.8, justification=it.text or "-")
        ctx = GradeContext(org=None, scenario=sc, answer=answer)
        out[i] = max((m.score for m in matches(crit, ctx, prep)[0] if m.matched or m.contradicted is None),
                     default=0.0)
    return out


def product_scores(split: Split, train: Split, vec: dict[str, np.ndarray], loo: bool) -> np.ndarray:
    """The product's example-aware semantic score of each answer (kinds.semantic.matches, match: any = the best
    statement's score); in training each answer is graded leave-one-out, as `sparring test` grades examples."""
    scen: dict[str, tuple] = {}
    out = np.zeros(len(split.items))
    for i, it in enumerate(split.items):
        if it.qid not in scen:
            scen[it.qid] = question_scenario(it.qid, split.refs[it.qid], train)
        sc, crit, origin = scen[it.qid]
        prep = _prep(it.text, vec)
        if prep is None:
            continue
        leave_out = origin.index(i) if loo and i in origin else None
        answer = TrustAnswer(decision="verify", confidence=0.8, justification=it.text or "-")
        ctx = GradeContext(org=None, scenario=sc, answer=answer, leave_out=leave_out)
        out[i] = max(m.score for m in matches(crit, ctx, prep)[0])
    return out


# ---------------------------------------------------------------------------------------------- fits


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    cands = np.unique(np.round(scores, 3))
    return float(max(cands, key=lambda t: macro_f1(y, (scores >= t).astype(int))))



# ------------------------------------------------------------------------------------------- metrics


def f1(y: np.ndarray, p: np.ndarray, cls: int) -> float:
    tp = int(((p == cls) & (y == cls)).sum())
    fp = int(((p == cls) & (y != cls)).sum())
    fn = int(((p != cls) & (y == cls)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def macro_f1(y, p) -> float:
    return (f1(y, p, 0) + f1(y, p, 1)) / 2


def weighted_f1(y, p) -> float:
    n1 = (y == 1).mean()
    return n1 * f1(y, p, 1) + (1 - n1) * f1(y, p, 0)


def metrics(y, p) -> dict:
    return {"acc": float((y == p).mean()), "macro": macro_f1(y, p), "weighted": weighted_f1(y, p), "n": len(y)}


# ----------------------------------------------------------------------------------------------- run


def run(data: Path, splits: list[str] | None = None, n_questions: int | None = None, seed: int = 0,
        partial: Path | None = None, n_train: int | None = None) -> tuple[list[dict], dict]:
    t0 = time.time()
    results: list[dict] = []
    info: dict = {"subset": n_questions, "train_subset": n_train, "seed": seed, "load_start": os.getloadavg()}
    for corpus in ("sciEntsBank", "beetle"):
        train = subset(load(data / "training" / "2way" / corpus, "training"),
                       n_questions if n_train is None else n_train, seed)
        tests = [subset(load(d, d.name), n_questions, seed)
                 for d in sorted((data / "test" / "2way" / corpus).iterdir())
                 if d.is_dir() and (not splits or any(d.name.endswith(x) for x in splits))]
        texts = [it.text for s in [train] + tests for it in s.items]
        texts += [u.text for s in [train] + tests for it in s.items for u in se.split_units(it.text)[0]]
        texts += [r for s in [train] + tests for rs in s.refs.values() for r in rs]
        texts += [t for s in [train] + tests for rs in s.refs.values() for r in rs for t in se.statement_texts(r)]
        vec = encode_all(texts)
        # every text goes through the grader's per-process memo (keyed as the model reads a text), as authored
        # statements and examples do in the product; the memo is made large enough to hold a whole corpus
        embeddings._MEMO_SIZE = max(embeddings._MEMO_SIZE, 2 * len(vec))
        enc = embeddings._get_encoder()
        for r, v in vec.items():
            embeddings._memo[enc.key(r)] = v
        ytr = np.array([it.label for it in train.items])
        base_tr = baseline_scores(train, vec)
        base_thr = best_threshold(base_tr, ytr)
        g_tr = grader_scores(train, vec)
        g_thr = best_threshold(g_tr, ytr)
        p_tr = product_scores(train, train, vec, loo=True) if not REF_ONLY else np.zeros(len(ytr))
        cut = best_threshold(p_tr, ytr)
        r_tr = reference_only_scores(train, vec)
        r_thr = best_threshold(r_tr, ytr)
        info[corpus] = {"train": len(train.items), "baseline_threshold": base_thr, "grader_threshold": g_thr,
                        "reference_only_threshold": r_thr,
                        "examples_threshold": cut,
                        "examples_train_macro": macro_f1(ytr, (p_tr >= cut).astype(int))}
        for ts in tests:
            y = np.array([it.label for it in ts.items])
            b = baseline_scores(ts, vec)
            g = grader_scores(ts, vec)
            row = {"corpus": corpus, "split": ts.name, "baseline": metrics(y, (b >= base_thr).astype(int)),
                   "grader": metrics(y, (g >= g_thr).astype(int))}
            r = reference_only_scores(ts, vec)
            row["reference-only"] = metrics(y, (r >= r_thr).astype(int))
            if ts.name == "test-unseen-answers" and not REF_ONLY:
                p = product_scores(ts, train, vec, loo=False)
                row["grader+examples"] = metrics(y, (p >= cut).astype(int))
                # what an author gets without `sparring calibrate`: the product's default threshold
                info[corpus]["examples_default_macro"] = macro_f1(y, (p >= se.DEFAULT_THRESHOLD).astype(int))
            results.append(row)
        info[corpus]["questions"] = {ts.name: len(ts.refs) for ts in [train] + tests}
        info[corpus].update(subset=n_questions, train_subset=n_train, seed=seed, seconds=round(time.time() - t0, 1))
        if partial:  # what is done survives a run that is stopped before the end
            partial.write_text(json.dumps({"results": results, "info": info}, indent=1), encoding="utf-8")
        print(f"{corpus} done at {round(time.time() - t0, 1)} s", file=sys.stderr, flush=True)
    info["seconds"] = round(time.time() - t0, 1)
    info["machine"] = machine()
    return results, info


SECTION = "## SemEval-2013 Task 7 (bench/semeval_bench.py)"
TARGETS = {("sciEntsBank", "test-unseen-questions"): 0.70, ("beetle", "test-unseen-questions"): 0.74}  # issue 13


def to_markdown(results: list[dict], info: dict) -> str:
    m = info.get("machine", {})
    load = m.get("load")
    ref_only = info.get("reference_only_mode", REF_ONLY)
    when = info.get("date", date.today().isoformat())
    took = f"{info['seconds']} s" if "seconds" in info else ", ".join(
        f"{c} {info[c]['seconds']} s" for c in ("sciEntsBank", "beetle") if "seconds" in info.get(c, {}))
    lines = [SECTION, "",
             f"Run {when} on this machine ({m.get('cores', '?')} cores, CPU {m.get('cpu', '?')}, Python "
             f"{platform.python_version()}, no GPU) in {took}; load average (1/5/15 min) "
             + (f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end of the run" if load else "not recorded")
             + (f", {info['load_start'][0]:.2f} at its start" if info.get("load_start") else "")
             + ". Tuned on `training/` only, one threshold per system and corpus; nothing fitted here ships (CC BY-SA). "
             "Baseline: MiniLM cosine to the closest reference answer. Grader: the product's `semantic` score "
             "against the reference answers alone. Reference-only: the product's `semantic` grader as a new "
             "scenario gets it, with no labelled answer of the question — `expect` = the reference answers, the "
             "near misses generated from them (grading/contrasts.py) as failing exemplars, and the whole-answer "
             "contradiction and figure checks (grading/logic.py, figures.py); its threshold is tuned on training "
             "scored the same way.", ""]
    if ref_only:
        lines += ["`SEMEVAL_REFERENCE_ONLY=1`: the example-aware system (grader+examples, unseen-answers only) "
                  "was not run; its last figures are in the Grading section.", ""]
    for c in ("sciEntsBank", "beetle"):
        if c not in info:
            continue
        ic = {k: info[c].get(k, info.get(k)) for k in ("subset", "train_subset", "seed")}
        if not (ic["subset"] or ic["train_subset"]):
            lines += [f"{c}: every question of every split.", ""]
            continue
        parts = []
        if ic["subset"]:
            parts.append(f"{ic['subset']} questions of every split")
        if ic["train_subset"]:
            parts.append(f"{ic['train_subset']} training questions for tuning")
        q = ", ".join(f"{k} {v}" for k, v in info[c].get("questions", {}).items())
        lines += [f"**{c}: subset run**: a seeded random subset (seed {ic['seed']}) of " + " and ".join(parts)
                  + f", so that the run finishes in bounded time on the shared machine (questions used: {q}). "
                  + ("" if ic["subset"] else "The test splits are complete."), ""]
    lines += ["| corpus | test split | n | system | accuracy | macro-F1 | weighted-F1 |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        for sysname in ("baseline", "grader", "reference-only", "grader+examples"):
            if sysname in r:
                x = r[sysname]
                lines.append(f"| {r['corpus']} | {r['split']} | {x['n']} | {sysname} | {x['acc']:.3f} | "
                             f"{x['macro']:.3f} | {x['weighted']:.3f} |")
    lines.append("")
    for c in ("sciEntsBank", "beetle"):
        if c not in info:
            continue
        i = info[c]
        text = (f"- {c}: {i['train']} training answers; thresholds tuned on them: baseline cosine "
                f"{i['baseline_threshold']:.3f}, grader score {i['grader_threshold']:.3f}, reference-only "
                f"{i['reference_only_threshold']:.3f}")
        if not ref_only:
            text += (f", grader+examples {i['examples_threshold']:.3f} (its leave-one-out macro-F1 on training: "
                     f"{i['examples_train_macro']:.3f}; at the product's default threshold {se.DEFAULT_THRESHOLD} "
                     f"it scores {i.get('examples_default_macro', float('nan')):.3f} on unseen-answers)")
        lines.append(text + ".")
    lines.append("")
    for (c, split), target in TARGETS.items():
        row = next((r for r in results if r["corpus"] == c and r["split"] == split), None)
        if row is None:
            lines.append(f"- Target {c} {split} macro-F1 ≥ {target:.2f}: not run.")
            continue
        got, base = row["reference-only"]["macro"], row["baseline"]["macro"]
        lines.append(f"- Target {c} {split} reference-only macro-F1 ≥ {target:.2f}: {got:.3f} "
                     f"({'met' if got >= target else 'not met'}; baseline {base:.3f}, "
                     f"{got - base:+.3f}).")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "bench-data" / "semeval2013-task7"))
    ap.add_argument("--out", default=None, help="write the Markdown table to this file")
    ap.add_argument("--write", action="store_true", help="replace this script's section of docs/benchmarks.md")
    ap.add_argument("--splits", nargs="*", default=None, help="test splits to run, e.g. unseen-questions")
    ap.add_argument("--subset", type=int, default=None, help="a seeded random subset of N questions per split")
    ap.add_argument("--train-subset", type=int, default=None,
                    help="a seeded random subset of N training questions (overrides --subset for training)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also keep the raw figures in this JSON file (outside the repo)")
    ap.add_argument("--from-json", default=None, help="render a finished run's JSON instead of running")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        results, info = saved["results"], saved["info"]
    else:
        data = Path(args.data)
        if not (data / "training").is_dir():
            alt = Path("/work/shared/bench-data/semeval2013-task7")
            if alt.is_dir():
                data = alt
            else:
                print(f"no SemEval data under {data}", file=sys.stderr)
                return 2
        partial = Path(args.json) if args.json else None
        results, info = run(data, args.splits, args.subset, args.seed, partial, args.train_subset)
        info["reference_only_mode"] = REF_ONLY
        info["date"] = date.today().isoformat()
        if partial:
            partial.write_text(json.dumps({"results": results, "info": info}, indent=1), encoding="utf-8")
    md = to_markdown(results, info)
    print(md)
    if args.out:
        Path(args.out).write_text(md, encoding="utf-8")
    if args.write:
        from benchdoc import write_section  # bench/ is on sys.path when the script runs
        write_section(SECTION, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
