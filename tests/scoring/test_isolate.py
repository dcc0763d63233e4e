"""A document that breaks the model costs only that document; when every document fails alone,
the model is broken and the error is raised."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from attention_influence.models import LoadedModel
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.isolate import score_isolated
from tests.conftest import tiny_llama

POISON = 13  # a token id the tiny model is made to fail on


def _scorer(monkeypatch) -> Scorer:
    tokenizer = SimpleNamespace(pad_token_id=0)  # token ids are fed directly
    loaded = LoadedModel(tiny_llama(), tokenizer, "tiny", "tiny", torch.device("cpu"), torch.float32)
    scorer = Scorer(loaded, [(1, 0)], max_length=32)
    score = scorer.score_token_lists

    def breaks_on_poison(seqs, on_batch=None):
        if any(POISON in seq for seq in seqs):
            raise RuntimeError("CUDA out of memory\nsecond line")
        return score(seqs, on_batch=on_batch)

    monkeypatch.setattr(scorer, "score_token_lists", breaks_on_poison)
    return scorer


def test_one_failing_document_costs_only_itself(monkeypatch):
    scorer = _scorer(monkeypatch)
    docs = [[5, 6, 7, 8], [9, POISON, 10], [11, 12, 14, 15, 16]]
    results = score_isolated(scorer, None, docs)
    assert [r.reason for r in results] == [None, "scoring failed (RuntimeError: CUDA out of memory)", None]
    alone = score_isolated(scorer, None, [docs[0], docs[2]])
    assert [r.score for r in alone] == pytest.approx([results[0].score, results[2].score], rel=1e-5)


def test_every_document_failing_alone_raises(monkeypatch):
    scorer = _scorer(monkeypatch)
    assert score_isolated(scorer, None, [[POISON, 5]])[0].score is None  # one document: listed, not raised
    with pytest.raises(RuntimeError, match="out of memory"):
        score_isolated(scorer, None, [[POISON, 5], [6, POISON]])


def test_progress_totals_survive_the_retry(monkeypatch):
    scorer = _scorer(monkeypatch)
    docs = [[5, 6, 7, 8], [9, POISON, 10], [11, 12, 14, 15, 16], [3]]
    calls: list[tuple[int, int]] = []
    score_isolated(scorer, None, docs, on_batch=lambda d, t: calls.append((d, t)))
    assert sum(d for d, _ in calls) == len(docs)
    assert sum(t for _, t in calls) == 4 + 5  # the tokens of the documents scored
