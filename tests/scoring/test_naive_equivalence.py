"""The engine's scores equal the naive way's (two separate full passes, batch size 1) on real text."""

from __future__ import annotations

import pytest

from attention_influence.scoring.engine import Scorer
from tests.reference import naive_losses

HEADS = [(15, 1), (17, 4), (19, 2), (21, 7), (24, 0)]


@pytest.fixture(scope="module")
def real_docs(gsm8k_texts, wikitext_texts) -> list[str]:
    questions = [text.split("\n")[0] for text in gsm8k_texts[:3]]
    return questions + [wikitext_texts[0][:400]]


@pytest.mark.slow
def test_engine_equals_naive_two_passes(embedded, real_docs):
    scorer = Scorer(embedded, HEADS, max_length=64, batch_tokens=256)  # the longest text is windowed
    scorer.min_fill = 0.3  # batch mixed lengths (padding), as on a GPU
    tokens = scorer.tokenize(real_docs)
    assert max(len(t) for t in tokens) > 64
    results = scorer.score_token_lists(tokens)
    reference = naive_losses(embedded.model, tokens, HEADS, batch_size=1, max_length=64)
    assert scorer.padding_fraction > 0
    for result, (base, masked) in zip(results, reference, strict=True):
        assert result.loss_base == pytest.approx(base, rel=1e-4)
        assert result.loss_masked == pytest.approx(masked, rel=1e-4)
        assert result.score == pytest.approx((masked - base) / base, rel=1e-4)
        assert result.loss_masked != pytest.approx(result.loss_base, rel=1e-4)  # the heads matter


@pytest.mark.slow
def test_score_corpus_reports_padding_and_memory(embedded, gsm8k_texts, tmp_path):
    import json

    import pyarrow.parquet as pq

    from attention_influence import score_corpus

    docs = [text.split("\n")[0] for text in gsm8k_texts[:4]]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(docs)))
    summary = score_corpus(
        str(path), str(tmp_path / "run"), HEADS, embedded, max_length=64, chunk_docs=2, progress=False
    )
    assert summary.scored == 4
    assert summary.padding_fraction == 0  # on a CPU only equal lengths share a batch
    assert summary.peak_memory_bytes > 2**20
    scores = pq.read_table(tmp_path / "run" / "scores").to_pydict()
    direct = Scorer(embedded, HEADS, max_length=64, shared_prefix=False).score_texts(docs)
    for score, result in zip(scores["score"], direct, strict=True):
        assert score == pytest.approx(result.score, rel=1e-4)
