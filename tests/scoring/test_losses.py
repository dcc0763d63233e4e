"""The chunked float32 loss: independent of the chunk size, and kept on the decoder + LM head split
for half-precision models (whose logits it computes in float32)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch

from attention_influence.models import LoadedModel
from attention_influence.scoring.engine import Scorer
from tests.conftest import tiny_model

HEADS = [(1, 0), (2, 1)]


def _docs() -> list[list[int]]:
    rng = random.Random(0)
    return [[rng.randrange(1, 97) for _ in range(rng.randrange(2, 40))] for _ in range(8)]


def _loaded(dtype: torch.dtype, arch: str = "llama") -> LoadedModel:
    model = tiny_model(arch).to(dtype)
    return LoadedModel(model, SimpleNamespace(pad_token_id=0), "tiny", "tiny", torch.device("cpu"), dtype)


@pytest.mark.parametrize("arch", ["llama", "gemma3"])  # gemma3: softcapped logits
def test_chunk_size_does_not_change_losses(arch: str) -> None:
    loaded = _loaded(torch.float32, arch)
    one = Scorer(loaded, HEADS, max_length=32, chunk_tokens=1).score_token_lists(_docs())
    big = Scorer(loaded, HEADS, max_length=32, chunk_tokens=4096).score_token_lists(_docs())
    for a, b in zip(one, big, strict=True):
        assert a.loss_base == pytest.approx(b.loss_base, rel=1e-6)
        assert a.loss_masked == pytest.approx(b.loss_masked, rel=1e-6)


def test_bfloat16_model_keeps_the_split_head_and_scores_close_to_float32() -> None:
    full = Scorer(_loaded(torch.float32), HEADS, max_length=32)
    half = Scorer(_loaded(torch.bfloat16), HEADS, max_length=32)
    assert half.loss_head.split  # no full-vocabulary logits for the whole batch
    for a, b in zip(half.score_token_lists(_docs()), full.score_token_lists(_docs()), strict=True):
        assert a.loss_base == pytest.approx(b.loss_base, rel=3e-2)
        assert a.loss_masked == pytest.approx(b.loss_masked, rel=3e-2)


def test_per_token_losses_add_up_to_the_segment_sums() -> None:
    """target_losses (per token, for reports/explain) and segment_losses (the engine) agree."""
    scorer = Scorer(_loaded(torch.float32), HEADS, max_length=32, chunk_tokens=5)
    docs = _docs()
    results = scorer.score_token_lists(docs)
    for ids, result in zip(docs, results, strict=True):
        if len(ids) < 2 or len(ids) > 32:
            continue
        tokens = scorer.loss_head.target_losses(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
        assert tokens.shape == (1, len(ids) - 1)
        assert tokens.sum().item() / (len(ids) - 1) == pytest.approx(result.loss_base, rel=1e-5)


def test_a_large_vocabulary_is_scored_in_chunks_equal_to_the_full_logits() -> None:
    """Gemma-3's 262,144-token vocabulary: the LM head runs on a few rows at a time (never the
    batch's (tokens x vocabulary) float32 logits at once), and the losses are the model's own."""
    import torch.nn.functional as F

    model = tiny_model("gemma3", vocab_size=262_144, max_position_embeddings=64)
    loaded = LoadedModel(model, SimpleNamespace(pad_token_id=0), "tiny", "tiny", torch.device("cpu"), torch.float32)
    scorer = Scorer(loaded, [(1, 0)], max_length=32, chunk_tokens=7)
    assert scorer.loss_head.split and scorer.loss_head.chunk_tokens == 7
    rng = random.Random(1)
    docs = [[rng.randrange(1, 262_144) for _ in range(n)] for n in (30, 17, 2)]
    for ids, result in zip(docs, scorer.score_token_lists(docs), strict=True):
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
        expected = F.cross_entropy(logits, torch.tensor(ids[1:])).item()
        assert result.loss_base == pytest.approx(expected, rel=1e-5)
