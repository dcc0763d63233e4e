"""Packed rows (several documents per row, no padding) score every document exactly as alone,
with the shared prefix and the masked heads, on every architecture of the tiny-model table."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch

from attention_influence.errors import SettingError
from attention_influence.models import LoadedModel
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.packing import build_batch, pack_rows
from tests.conftest import TINY_CONFIGS, tiny_model

HEADS = [(1, 0), (2, 1), (2, 3)]
LONG = {"gpt2": dict(n_positions=256)}  # the others: max_position_embeddings


def _loaded(arch: str) -> LoadedModel:
    model = tiny_model(arch, **LONG.get(arch, dict(max_position_embeddings=256)))
    tokenizer = SimpleNamespace(pad_token_id=0)  # token ids are fed directly
    return LoadedModel(model, tokenizer, "tiny", "tiny", torch.device("cpu"), torch.float32)


def _docs(n: int = 11, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(1, 97) for _ in range(rng.randrange(2, 50))] for _ in range(n)]


def _assert_same(packed, unpacked) -> None:
    for a, b in zip(packed, unpacked, strict=True):
        assert (a.n_tokens, a.n_predicted) == (b.n_tokens, b.n_predicted)
        assert a.loss_base == pytest.approx(b.loss_base, rel=1e-5)
        assert a.loss_masked == pytest.approx(b.loss_masked, rel=1e-5)
        assert a.score == pytest.approx(b.score, rel=1e-4, abs=1e-6)


def test_pack_rows_places_every_item_once_within_the_row() -> None:
    lengths = [30, 2, 17, 32, 5, 9, 16, 16, 3, 31, 2]
    rows = pack_rows(lengths, 32)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in row) <= 32 for row in rows)
    assert len(rows) == -(-sum(lengths) // 32)  # these lengths pack without a wasted row
    with pytest.raises(ValueError):
        pack_rows([33], 32)


def test_packed_batch_predicts_each_next_token_inside_its_segment() -> None:
    segments = [[5, 6, 7], [8, 9], [10, 11, 12, 13]]
    batch = build_batch([segments[:2], segments[2:]], pad_id=0, row_length=6, n_rows=3)
    assert batch.ids.tolist() == [[5, 6, 7, 8, 9, 0], [10, 11, 12, 13, 0, 0], [0] * 6]
    assert batch.position_ids.tolist() == [[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 0], [0] * 6]  # filler at 0
    assert batch.target.tolist() == [6, 7, 9, 11, 12, 13]  # never the first token of the next segment
    assert batch.segment.tolist() == [0, 0, 1, 2, 2, 2]
    assert batch.ids.view(-1)[batch.source].tolist() == [5, 6, 8, 10, 11, 12]
    assert (batch.n_segments, batch.real_tokens) == (3, 9)


@pytest.mark.parametrize("arch", sorted(TINY_CONFIGS))
def test_packed_scores_equal_unpacked(arch: str) -> None:
    loaded = _loaded(arch)
    docs = _docs()  # 2..49 tokens: several per row, and windows of the long ones
    unpacked = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=False).score_token_lists(docs)
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=True)
    packed = scorer.score_token_lists(docs)
    _assert_same(packed, unpacked)
    assert scorer.padded_tokens < 2 * scorer.real_tokens  # rows really held several documents
    assert any(r.loss_masked != pytest.approx(r.loss_base, rel=1e-4) for r in packed)  # the heads matter


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
def test_packed_without_shared_prefix_equals_unpacked(arch: str) -> None:
    loaded = _loaded(arch)
    docs = _docs(seed=1)
    unpacked = Scorer(loaded, HEADS, max_length=32, batch_tokens=96, pack=False, shared_prefix=False)
    alone = unpacked.score_token_lists(docs)  # before the model is prepared again, for packing
    packed = Scorer(loaded, HEADS, max_length=32, batch_tokens=96, pack=True, shared_prefix=False)
    _assert_same(packed.score_token_lists(docs), alone)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["llama", "gemma3"])  # gemma3: sliding-window and full layers
def test_flex_attention_block_masks_equal_unpacked(arch: str) -> None:
    """Flex attention (the CUDA default for packed rows) with its block masks doubled for the
    masked rows; compiled by transformers even on a CPU (slow: tens of seconds)."""
    torch._dynamo.reset()  # graphs of other models' shapes make inductor's CPU flex kernel go dynamic (a torch bug)
    loaded = _loaded(arch)
    docs = _docs(seed=2)
    unpacked = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=False).score_token_lists(docs)
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=True, attention="flex_attention")
    _assert_same(scorer.score_token_lists(docs), unpacked)
    assert (scorer.attention, scorer.fallbacks) == ("flex_attention", [])


def test_scores_do_not_depend_on_rows_per_batch() -> None:
    loaded = _loaded("qwen2")
    docs = _docs(15, seed=3)
    one = Scorer(loaded, HEADS, max_length=32, batch_tokens=32, pack=True).score_token_lists(docs)
    many = Scorer(loaded, HEADS, max_length=32, batch_tokens=512, pack=True).score_token_lists(docs)
    _assert_same(one, many)


def test_progress_is_reported_after_every_batch() -> None:
    loaded = _loaded("llama")
    docs = _docs(9, seed=4) + [[7]]  # one too short to score
    calls: list[tuple[int, int]] = []
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=True)
    results = scorer.score_token_lists(docs, on_batch=lambda docs_done, tokens: calls.append((docs_done, tokens)))
    assert len(calls) > 2
    assert sum(d for d, _ in calls) == len(docs)
    assert sum(t for _, t in calls) == scorer.real_tokens
    assert results[-1].reason == "fewer than 2 tokens"
    assert scorer.busy_seconds > 0


def test_flash_attention_cannot_pack() -> None:
    """Flash attention's varlen path keeps packed documents apart only in a batch of one row."""
    with pytest.raises(SettingError, match="attention"):
        Scorer(_loaded("llama"), HEADS, max_length=32, pack=True, attention="flash_attention_2")
