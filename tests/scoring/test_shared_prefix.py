"""The shared-prefix pass gives the scores of two separate full passes, on every architecture."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch

from attention_influence.masking import enable_masking
from attention_influence.models import LoadedModel
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.shared_prefix import decoder_layers, doubled_batch
from tests.conftest import tiny_model

VOCAB = 97


LONGER = dict(num_hidden_layers=4, max_position_embeddings=256)
OVERRIDES = {  # 4 layers, 256 positions; Gemma3 alternates sliding and full attention
    "llama": LONGER,
    "qwen2": LONGER,
    "gpt2": dict(n_layer=4, n_positions=256),
    "gpt_neox": LONGER,
    "gemma3": LONGER
    | dict(num_key_value_heads=2, sliding_window=6, layer_types=["sliding_attention", "full_attention"] * 2),
}


def _tiny(kind: str) -> torch.nn.Module:
    return tiny_model(kind, **OVERRIDES[kind])


def _scorer(model: torch.nn.Module, heads, shared: bool, batch_tokens: int = 64) -> Scorer:
    tokenizer = SimpleNamespace(pad_token_id=0)  # the tests feed token ids directly
    loaded = LoadedModel(model, tokenizer, "tiny", "tiny", torch.device("cpu"), torch.float32)
    scorer = Scorer(loaded, heads, max_length=24, batch_tokens=batch_tokens, shared_prefix=shared)
    scorer.min_fill = 0.3  # mixed lengths in a batch: padding masks go through the doubled layers
    return scorer


def _docs(n: int = 7, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(1, VOCAB) for _ in range(rng.randrange(2, 40))] for _ in range(n)]


def _assert_same(shared, separate) -> None:
    for a, b in zip(shared, separate, strict=True):
        assert a.n_predicted == b.n_predicted
        assert a.loss_base == pytest.approx(b.loss_base, rel=1e-5)
        assert a.loss_masked == pytest.approx(b.loss_masked, rel=1e-5)
        assert a.score == pytest.approx(b.score, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("kind", ["llama", "qwen2", "gpt2", "gpt_neox", "gemma3"])
@pytest.mark.parametrize("heads", [[(0, 1)], [(2, 0), (3, 3)]])
def test_shared_prefix_equals_two_passes(kind, heads):
    model = _tiny(kind)
    docs = _docs()  # mixed lengths: padding, and windows of the 39-token documents
    shared = _scorer(model, heads, shared=True).score_token_lists(docs)
    separate = _scorer(model, heads, shared=False).score_token_lists(docs)
    _assert_same(shared, separate)
    assert any(r.loss_masked != pytest.approx(r.loss_base, rel=1e-6) for r in shared)  # the mask acted


@pytest.mark.parametrize("kind", ["llama", "gpt2", "gemma3"])
def test_decoder_layers_found_in_order(kind):
    model = _tiny(kind)
    layers = decoder_layers(model)
    assert len(layers) == model.config.num_hidden_layers
    attention = enable_masking(model)
    for layer, attn in zip(layers, attention, strict=True):
        assert any(sub is attn.module for sub in layer.modules())
    assert len({id(layer) for layer in layers}) == len(layers)


def test_doubled_batch_repeats_rows_from_the_first_masked_layer():
    model = _tiny("llama")
    ids = torch.tensor(_docs(3, seed=1)[0][:10])[None].repeat(3, 1)  # (3, 10)
    seen = []
    hooks = [
        layer.register_forward_hook(lambda _m, _a, out: seen.append(out.shape[0])) for layer in decoder_layers(model)
    ]
    with torch.no_grad(), doubled_batch(model, 2, batch_size=3):
        hidden = model.base_model(input_ids=ids).last_hidden_state
    for hook in hooks:
        hook.remove()
    assert seen == [3, 3, 6, 6]
    assert hidden.shape[0] == 6
    torch.testing.assert_close(hidden[:3], hidden[3:])  # no mask: both halves are the full model
    with torch.no_grad():
        plain = model.base_model(input_ids=ids).last_hidden_state
    torch.testing.assert_close(hidden[:3], plain)


def test_batching_does_not_change_scores():
    model = _tiny("llama")
    docs = _docs(9, seed=2)
    one = _scorer(model, [(1, 0), (3, 1)], shared=True, batch_tokens=24).score_token_lists(docs)
    many = _scorer(model, [(1, 0), (3, 1)], shared=True, batch_tokens=512).score_token_lists(docs)
    _assert_same(one, many)
