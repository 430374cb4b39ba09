"""The embedding path: texts the model reads alike are encoded once, and length-bucketed batches give the same
vectors as one `SentenceTransformer.encode` call."""

from __future__ import annotations

import numpy as np
import pytest

from sparring.grading import embeddings


def test_buckets_cover_every_text_once_and_sort_by_length():
    lengths = [5, 40, 6, 7, 90, 8, 41, 5, 12] * 10
    buckets = embeddings._buckets(lengths)
    flat = [i for b in buckets for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert all(len(b) <= embeddings._MAX_BATCH for b in buckets)
    assert [lengths[i] for i in flat] == sorted(lengths)  # each batch holds neighbours in length
    assert len(buckets) > 1  # 5-token units are not padded to 90 tokens


def test_one_bucket_when_lengths_are_alike():
    assert embeddings._buckets([10, 11, 10, 12]) == [[0, 2, 1, 3]]


def test_same_vectors_as_sentence_transformers_encode():
    texts = ["Tell her we are waiting for the builder's cost estimate.", "ok", "Café déjà vu",
             "A much longer sentence about the policy wording, the renewal terms and the broker's competing quote "
             "for the cafés, repeated to pass the usual length of a unit in a prompt."]
    ours = embeddings.embed(texts)
    ref = embeddings.get_model().encode(texts, convert_to_numpy=True, normalize_embeddings=True,
                                        show_progress_bar=False)
    assert np.abs(ours - ref).max() < 1e-4


def test_the_traced_model_is_used_and_agrees_with_encode_at_every_length():
    """The TorchScript graph was traced on one padded batch; it must give `encode`'s vectors for a batch of one,
    for rows at the 128-token cut, and for mixed padding."""
    enc = embeddings._get_encoder()
    assert enc.traced is not None  # on this torch build tracing works; a silent fallback would cost ~10 ms a batch
    long = "the renewal quote names three insurers and a broker " * 40  # truncated at MAX_SEQ_LENGTH
    for batch in (["ok"], [long], [long, "a", "Tell her we are waiting for the builder's cost estimate."],
                  [f"unit {i} " * (i + 1) for i in range(20)]):
        ref = embeddings.get_model().encode(batch, convert_to_numpy=True, normalize_embeddings=True,
                                            show_progress_bar=False)
        assert np.abs(enc.forward(batch) - ref).max() < 1e-4, batch[:1]


def test_texts_the_model_reads_alike_are_encoded_once(monkeypatch):
    seen = []
    real = embeddings._encode
    monkeypatch.setattr(embeddings, "_encode", lambda texts: seen.extend(texts) or real(texts))
    vecs = embeddings.embed(["Over three years is 70%", "over  three years is 70%", "OVER three years is 70%",
                             "Something else"])
    assert len(seen) == 2
    assert np.allclose(vecs[0], vecs[1]) and np.allclose(vecs[0], vecs[2])
    assert float(vecs[0] @ vecs[3]) < 0.9


@pytest.mark.parametrize("texts", [[], [""], ["🙂"]])
def test_empty_and_odd_texts(texts):
    vecs = embeddings.embed(texts)
    assert vecs.shape == (len(texts), embeddings.DIM)
    assert np.isfinite(vecs).all()


def test_prefetched_units_are_used_and_a_failed_encode_leaves_the_criteria_ungraded(monkeypatch):
    import threading

    from grading_helpers import org, trust
    from sparring.grading.rubric import grade

    sc = trust([{"id": "a", "check": "semantic", "expect": "The limit is not in the schedule."},
                {"id": "b", "check": "justification", "reasons": ["The limit is not in the schedule."]}],
               pass_mark=0.5)
    threads = []
    real = embeddings._encode
    monkeypatch.setattr(embeddings, "_encode",
                        lambda texts: threads.append(threading.current_thread().name) or real(texts))
    res = grade(org(), sc, {"decision": "verify", "confidence": 0.7,
                            "justification": "The limit is not in the policy schedule."})
    assert res.criteria[0].passed and res.criteria[1].passed
    assert len(threads) == 1 and threads[0].startswith("sparring-embed")  # encoded once, in the worker

    def broken(texts):
        raise RuntimeError("model files unreadable")

    monkeypatch.setattr(embeddings, "_encode", broken)
    res = grade(org(), sc, {"decision": "verify", "confidence": 0.7, "justification": "A brand new answer."})
    # not a fail: both criteria are ungraded (left out of the score; the attempt waits for a mentor)
    assert [c.status for c in res.criteria] == ["ungraded", "ungraded"]
    assert all(c.feedback.startswith("We could not check this part; a mentor will.") and "RuntimeError" in c.feedback
               and c.evidence["error"] == "model files unreadable" for c in res.criteria)
    assert res.ungraded and res.score == 0.0 and not res.passed  # nothing was checked: a mentor decides
    assert res.review_reason and "RuntimeError" in res.review_reason
