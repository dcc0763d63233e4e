"""The datatrove steps in a real LocalPipelineExecutor pipeline with the embedded model."""

from __future__ import annotations

import gzip
import json
import pickle

import pytest

pytest.importorskip("datatrove", reason="datatrove is not installed (extra attention-influence[datatrove])")

from datatrove.data import Document  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from attention_influence.integrations.datatrove import (  # noqa: E402
    AttentionInfluenceFilter,
    AttentionInfluenceScorer,
)
from attention_influence.scoring import Scorer  # noqa: E402

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"


def test_pipeline_scores_and_filters_like_the_scorer(gsm8k_texts, embedded, tmp_path):
    texts = [" ".join(t.split()[:10]) for t in gsm8k_texts[:6]] + ["x"]  # "x": too short to score
    expected = Scorer(embedded, HEADS).score_texts(texts)
    scored = sorted(r.score for r in expected if r.score is not None)
    threshold = scored[len(scored) // 2]
    step = AttentionInfluenceScorer(HEADS, device="cpu", dtype="float32", batch_docs=4)
    pickle.loads(pickle.dumps(step))  # steps travel to workers
    pipeline = [
        [Document(text=t, id=str(i)) for i, t in enumerate(texts)],
        step,
        AttentionInfluenceFilter(threshold),
        JsonlWriter(str(tmp_path / "kept")),
    ]
    LocalPipelineExecutor(pipeline, tasks=1, workers=1, logging_dir=str(tmp_path / "logs")).run()

    lines = [json.loads(line) for path in (tmp_path / "kept").iterdir() for line in gzip.open(path, "rt")]
    kept = {int(d["id"]): d["metadata"] for d in lines}
    want = {i for i, r in enumerate(expected) if r.score is not None and r.score >= threshold}
    assert set(kept) == want and len(want) == len(scored) - len(scored) // 2
    for i, meta in kept.items():
        assert meta["attninf_score"] == pytest.approx(expected[i].score, rel=1e-4, abs=1e-6)
        assert meta["attninf_loss_base"] == pytest.approx(expected[i].loss_base, rel=1e-5)
        assert meta["attninf_loss_masked"] == pytest.approx(expected[i].loss_masked, rel=1e-5)


def test_a_document_that_breaks_the_model_costs_only_itself(embedded, tmp_path):
    """The step retries a failing batch one document at a time (as the run pipeline does)."""
    step = AttentionInfluenceScorer(HEADS, device="cpu", dtype="float32", batch_docs=8)
    scorer = Scorer(embedded, HEADS)
    tokenize = scorer.tokenize

    def tokenize_or_fail(texts):
        if any("boom" in t for t in texts):
            raise ValueError("the tokenizer cannot encode this text")
        return tokenize(texts)

    scorer.tokenize = tokenize_or_fail
    step._scorer = scorer
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(["Two plus two is four.", "boom boom", "Cats purr."])]
    out = {d.id: d.metadata for d in step.run(iter(docs))}
    assert out["1"]["attninf_score"] is None and out["1"]["attninf_reason"].startswith("scoring failed (ValueError")
    assert out["0"]["attninf_score"] is not None and out["2"]["attninf_score"] is not None
