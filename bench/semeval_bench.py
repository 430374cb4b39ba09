"""The `semantic` grader on SemEval-2013 Task 7 (2-way: correct / incorrect student answers).

    python bench/semeval_bench.py [--data ../shared/bench-data/semeval2013-task7] [--write docs/benchmarks.md]

Everything is tuned on `training/` only and reported on each test split. Nothing fitted here ships in the product
(the data is CC BY-SA): the product's grader uses its fixed defaults; this script fits its own small combination
at run time and throws it away.

Systems compared in the same run:
- baseline: MiniLM cosine to the closest reference answer, one threshold tuned on training;
- grader: the product's `semantic` score (semantic_engine.match: sentence/clause units, cosine lifted by lexical
  recall, negation-aware) against the reference answers, threshold tuned on training;
- grader+examples: the grader's score plus what labelled answers give an author (the question's labelled
  training answers play the role of a scenario's `examples`: closest correct and closest incorrect answer,
  and a similarity-weighted vote of the nearest ones), combined by a logistic regression fitted on training
  (leave-one-out features there). Only possible when the question has labelled answers, i.e. unseen-answers;
  on unseen-questions the grader alone is used.
"""

from __future__ import annotations

import argparse
import os
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

from sparring.grading import embeddings, semantic_engine as se  # noqa: E402


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


def example_features(split: Split, train: Split, vec: dict[str, np.ndarray], loo: bool) -> np.ndarray:
    """Per answer: closest correct and closest incorrect labelled answer of the same question, and a weighted
    vote of the 5 nearest; in training, the answer itself is left out."""
    by_q: dict[str, list[int]] = {}
    for j, it in enumerate(train.items):
        by_q.setdefault(it.qid, []).append(j)
    tv = np.stack([vec[it.text] for it in train.items])
    tl = np.array([it.label for it in train.items])
    feats = np.zeros((len(split.items), 3))
    for i, it in enumerate(split.items):
        idx = [j for j in by_q.get(it.qid, []) if not (loo and j == i)]
        if not idx:
            feats[i] = (0.0, 0.0, 0.5)
            continue
        sims = tv[idx] @ vec[it.text]
        labels = tl[idx]
        pos = sims[labels == 1]
        neg = sims[labels == 0]
        top = np.argsort(-sims)[:5]
        w = np.exp(sims[top] * 10)
        feats[i] = (pos.max() if len(pos) else 0.0, neg.max() if len(neg) else 0.0,
                    float((w * labels[top]).sum() / w.sum()))
    return feats


# ---------------------------------------------------------------------------------------------- fits


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    cands = np.unique(np.round(scores, 3))
    return float(max(cands, key=lambda t: macro_f1(y, (scores >= t).astype(int))))


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 3000) -> tuple[np.ndarray, float]:
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    w = np.zeros(Z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = p - y
        w -= 0.5 * (Z.T @ g / len(y) + l2 * w)
        b -= 0.5 * g.mean()
    return np.concatenate([w / sd, [b - (w * mu / sd).sum()]]), 0.0


def predict_logistic(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(X @ theta[:-1] + theta[-1])))


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


def run(data: Path) -> tuple[list[dict], dict]:
    t0 = time.time()
    results = []
    info = {}
    for corpus in ("sciEntsBank", "beetle"):
        train = load(data / "training" / "2way" / corpus, "training")
        tests = [load(d, d.name) for d in sorted((data / "test" / "2way" / corpus).iterdir()) if d.is_dir()]
        texts = [it.text for s in [train] + tests for it in s.items]
        texts += [u.text for s in [train] + tests for it in s.items for u in se.split_units(it.text)[0]]
        texts += [r for s in [train] + tests for rs in s.refs.values() for r in rs]
        texts += [t for s in [train] + tests for rs in s.refs.values() for r in rs for t in se.statement_texts(r)]
        vec = encode_all(texts)
        # references go through the grader's per-process memo, as authored statements do in the product
        for r, v in vec.items():
            embeddings._memo[r] = v
        ytr = np.array([it.label for it in train.items])
        base_tr = baseline_scores(train, vec)
        base_thr = best_threshold(base_tr, ytr)
        g_tr = grader_scores(train, vec)
        g_thr = best_threshold(g_tr, ytr)
        ex_tr = example_features(train, train, vec, loo=True)
        X_tr = np.column_stack([g_tr, base_tr, ex_tr])
        theta, _ = fit_logistic(X_tr, ytr)
        p_tr = predict_logistic(theta, X_tr)
        cut = best_threshold(p_tr, ytr)
        info[corpus] = {"train": len(train.items), "baseline_threshold": base_thr, "grader_threshold": g_thr}
        for ts in tests:
            y = np.array([it.label for it in ts.items])
            b = baseline_scores(ts, vec)
            g = grader_scores(ts, vec)
            row = {"corpus": corpus, "split": ts.name, "baseline": metrics(y, (b >= base_thr).astype(int)),
                   "grader": metrics(y, (g >= g_thr).astype(int))}
            if ts.name == "test-unseen-answers":
                ex = example_features(ts, train, vec, loo=False)
                p = predict_logistic(theta, np.column_stack([g, b, ex]))
                row["grader+examples"] = metrics(y, (p >= cut).astype(int))
            results.append(row)
    info["seconds"] = round(time.time() - t0, 1)
    return results, info


def to_markdown(results: list[dict], info: dict) -> str:
    lines = ["### SemEval-2013 Task 7, 2-way (bench/semeval_bench.py)", "",
             f"Run {date.today().isoformat()} on this machine (2 cores, 24 GB, Python "
             f"{platform.python_version()}, no GPU) in {info['seconds']} s. Tuned on `training/` only; nothing "
             "fitted here ships (CC BY-SA). Baseline: MiniLM cosine to the closest reference answer, threshold "
             "tuned on training. Grader: the product's `semantic` score against the reference answers, threshold "
             "tuned on training. Grader+examples: the grader's score plus the question's labelled training "
             "answers used the way a scenario's `examples` are (closest correct / closest incorrect answer, "
             "nearest-neighbour vote), combined by a logistic regression fitted on training; it needs labelled "
             "answers for the question, so it applies to unseen-answers only.", "",
             "| corpus | test split | n | system | accuracy | macro-F1 | weighted-F1 |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        for sysname in ("baseline", "grader", "grader+examples"):
            if sysname in r:
                m = r[sysname]
                lines.append(f"| {r['corpus']} | {r['split']} | {m['n']} | {sysname} | {m['acc']:.3f} | "
                             f"{m['macro']:.3f} | {m['weighted']:.3f} |")
    lines.append("")
    for c in ("sciEntsBank", "beetle"):
        i = info[c]
        lines.append(f"- {c}: {i['train']} training answers; thresholds tuned on them: baseline cosine "
                     f"{i['baseline_threshold']:.3f}, grader score {i['grader_threshold']:.3f}.")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "bench-data" / "semeval2013-task7"))
    ap.add_argument("--out", default=None, help="write the Markdown table to this file")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "training").is_dir():
        alt = Path("/work/shared/bench-data/semeval2013-task7")
        if alt.is_dir():
            data = alt
        else:
            print(f"no SemEval data under {data}", file=sys.stderr)
            return 2
    results, info = run(data)
    md = to_markdown(results, info)
    print(md)
    if args.out:
        Path(args.out).write_text(md, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
