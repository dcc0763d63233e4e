"""The scoring engine against plain transformers computations on real documents."""

from __future__ import annotations

import pytest
import torch

from attention_influence.errors import SettingError
from attention_influence.masking import mask_heads
from attention_influence.scoring import Scorer, split_windows
from attention_influence.scoring.packing import plan_batches

HEADS = [(8, 2), (12, 5), (15, 1), (17, 4), (20, 0), (23, 7)]


def plain_loss(model, ids: list[int]) -> float:
    """Mean next-token loss the way transformers computes it."""
    tensor = torch.tensor([ids])
    with torch.no_grad():
        return model(input_ids=tensor, labels=tensor).loss.item()


@pytest.mark.slow
def test_losses_and_score_match_two_independent_passes(embedded, gsm8k_texts, wikitext_texts) -> None:
    texts = gsm8k_texts[:2] + wikitext_texts[:2]
    scorer = Scorer(embedded, HEADS, batch_tokens=4096)
    results = scorer.score_texts(texts)
    for ids, result in zip(scorer.tokenize(texts), results, strict=True):
        base = plain_loss(embedded.model, ids)
        with mask_heads(embedded.model, HEADS):
            masked = plain_loss(embedded.model, ids)
        assert result.n_tokens == len(ids)
        assert result.loss_base == pytest.approx(base, rel=1e-4)
        assert result.loss_masked == pytest.approx(masked, rel=1e-4)
        assert result.score == pytest.approx((masked - base) / base, rel=1e-4)
        assert result.score > 0  # masking retrieval-ish heads hurts the model


@pytest.mark.slow
def test_score_does_not_depend_on_batch_companions(embedded, gsm8k_texts, wikitext_texts) -> None:
    scorer = Scorer(embedded, HEADS, batch_tokens=16384)
    scorer.min_fill = 0.0  # put documents of any length into one padded batch
    target = wikitext_texts[5]
    alone = scorer.score_texts([target])[0]
    padded_before = scorer.padded_tokens - scorer.real_tokens
    together = scorer.score_texts([gsm8k_texts[0], target, "Short one.", wikitext_texts[6]])[1]
    assert scorer.padded_tokens - scorer.real_tokens > padded_before  # they really shared a padded batch
    assert together.score == pytest.approx(alone.score, rel=1e-5)
    assert together.loss_base == pytest.approx(alone.loss_base, rel=1e-5)


@pytest.mark.slow
def test_long_documents_are_windowed_over_all_tokens(embedded, wikitext_texts) -> None:
    text = " ".join(wikitext_texts[:2])
    windowed = Scorer(embedded, HEADS, max_length=64)
    ids = windowed.tokenize([text])[0]
    assert len(ids) > 2 * 64
    result = windowed.score_texts([text])[0]
    assert (result.n_tokens, result.n_predicted, result.truncated) == (len(ids), len(ids) - 1, False)
    windows = split_windows(ids, 64)
    total = sum(plain_loss(embedded.model, w) * (len(w) - 1) for w in windows)
    assert result.loss_base == pytest.approx(total / (len(ids) - 1), rel=1e-4)
    truncated = Scorer(embedded, HEADS, max_length=64, truncate=True).score_texts([text])[0]
    assert (truncated.n_tokens, truncated.truncated) == (64, True)
    assert truncated.loss_base == pytest.approx(plain_loss(embedded.model, ids[:64]), rel=1e-4)


@pytest.mark.slow
def test_documents_under_two_tokens_get_a_reason(embedded) -> None:
    scorer = Scorer(embedded, HEADS)
    short, normal = scorer.score_token_lists([[42], [42, 43, 44]])
    assert short.score is None and short.reason == "fewer than 2 tokens"
    assert normal.score is not None and normal.reason is None


@pytest.mark.parametrize("length", [1, 2, 5, 63, 64, 65, 127, 128, 129, 500])
def test_windows_predict_every_token_once(length: int) -> None:
    ids = list(range(length))
    windows = split_windows(ids, 64)
    predicted = [t for w in windows for t in w[1:]]
    assert predicted == ids[1:]
    assert all(2 <= len(w) <= 64 for w in windows) or length < 2


def test_batches_respect_the_token_budget() -> None:
    lengths = [5, 300, 17, 64, 64, 120, 2, 999]
    batches = plan_batches(lengths, 1000)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) * max(lengths[i] for i in batch) <= 1000 or len(batch) == 1


@pytest.mark.slow
def test_cpu_defaults_and_bad_settings(embedded) -> None:
    scorer = Scorer(embedded, HEADS)
    assert (scorer.pack, scorer.compiled, scorer.attention) == (False, None, "sdpa")
    assert scorer.batch_tokens >= scorer.max_length and scorer.loss_head.chunk_tokens == 256
    for setting in ("batch_tokens", "chunk_tokens", "max_length"):
        with pytest.raises(SettingError, match=setting):
            Scorer(embedded, HEADS, **{setting: 0 if setting != "max_length" else 1})
