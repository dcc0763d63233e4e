"""Uniform head masking equals an explicit reference on tiny random models of many architectures."""

from __future__ import annotations

import pytest
import torch
import transformers
from transformers import AttentionInterface, AttentionMaskInterface, AutoModelForCausalLM
from transformers.masking_utils import eager_mask

from attention_influence.masking import UnsupportedArchitecture, enable_masking, mask_heads
from tests.conftest import TINY_CONFIGS, tiny_model

HEADS = [(0, 1), (1, 0), (1, 3), (2, 2)]


def _reference_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Explicit softmax attention; masked heads' rows overwritten with 1/(visible keys)."""
    n_rep = query.shape[1] // key.shape[1]
    key = key.repeat_interleave(n_rep, dim=1)  # (B, H, S, D)
    value = value.repeat_interleave(n_rep, dim=1)
    scaling = query.shape[-1] ** -0.5 if scaling is None else scaling
    logits = query @ key.transpose(-1, -2) * scaling  # (B, H, T, S)
    if kwargs.get("softcap") is not None:
        logits = torch.tanh(logits / kwargs["softcap"]) * kwargs["softcap"]
    visible = torch.ones_like(logits, dtype=torch.bool)
    if attention_mask is not None:
        mask = attention_mask[:, :, :, : key.shape[-2]]
        logits = logits + mask
        visible = (mask == 0).expand_as(logits)
    probs = torch.softmax(logits.float(), dim=-1).to(query.dtype)
    for head in _REFERENCE_HEADS.get(module, []):
        rows = visible[:, head].float()
        probs[:, head] = rows / rows.sum(-1, keepdim=True).clamp(min=1)
    return (probs @ value).transpose(1, 2).contiguous(), probs


_REFERENCE_HEADS: dict = {}
AttentionInterface.register("reference", _reference_attention)
AttentionMaskInterface.register("reference", eager_mask)


def reference_logits(arch: str, heads, input_ids, attention_mask) -> torch.Tensor:
    model = tiny_model(arch, attn="reference")
    layers = enable_masking(model)  # only to map layer index -> module, same forward order
    _REFERENCE_HEADS.clear()
    for layer, head in heads:
        _REFERENCE_HEADS.setdefault(layers[layer].module, []).append(head)
    model.set_attn_implementation("reference")
    try:
        with torch.no_grad():
            return model(input_ids=input_ids, attention_mask=attention_mask).logits
    finally:
        _REFERENCE_HEADS.clear()


def padded_batch(side: str) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(1)
    ids = torch.randint(3, 97, (3, 11))
    mask = torch.ones_like(ids)
    for row, length in enumerate([11, 7, 3]):
        if side == "right":
            mask[row, length:] = 0
        else:
            mask[row, : 11 - length] = 0
    ids = ids.masked_fill(mask == 0, 0)
    return ids, mask


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("arch", sorted(TINY_CONFIGS))
def test_masked_logits_match_reference(arch: str, side: str) -> None:
    ids, mask = padded_batch(side)
    model = tiny_model(arch)
    with torch.no_grad(), mask_heads(model, HEADS):
        masked = model(input_ids=ids, attention_mask=mask).logits
    with torch.no_grad():
        plain = model(input_ids=ids, attention_mask=mask).logits
    expected = reference_logits(arch, HEADS, ids, mask)
    expected_plain = reference_logits(arch, [], ids, mask)
    valid = mask.bool()
    torch.testing.assert_close(masked[valid], expected[valid], atol=1e-5, rtol=0)
    torch.testing.assert_close(plain[valid], expected_plain[valid], atol=1e-5, rtol=0)
    assert (masked[valid] - plain[valid]).abs().max() > 1e-2  # the mask really changes the model


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_per_row_masking_matches_whole_batch(attn: str) -> None:
    ids, mask = padded_batch("right")
    model = tiny_model("llama", attn)
    rows = torch.tensor([True, False, True])
    with torch.no_grad():
        with mask_heads(model, HEADS, rows=rows):
            mixed = model(input_ids=ids, attention_mask=mask).logits
        with mask_heads(model, HEADS):
            masked = model(input_ids=ids, attention_mask=mask).logits
        plain = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(mixed[rows], masked[rows], atol=1e-5, rtol=0)
    torch.testing.assert_close(mixed[~rows], plain[~rows], atol=1e-5, rtol=0)


def test_masking_is_undone_after_the_block() -> None:
    ids, mask = padded_batch("right")
    model = tiny_model("qwen2")
    with torch.no_grad():
        before = model(input_ids=ids, attention_mask=mask).logits
        with mask_heads(model, HEADS):
            model(input_ids=ids, attention_mask=mask)
        after = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(before, after, atol=0, rtol=0)


def test_head_out_of_range_is_refused() -> None:
    model = tiny_model("llama")
    with pytest.raises(ValueError, match="layer out of range"):
        with mask_heads(model, [(3, 0)]):
            pass
    with pytest.raises(ValueError, match="head out of range"):
        with mask_heads(model, [(0, 4)]):
            pass


def test_architecture_without_attention_interface_is_named() -> None:
    config = transformers.BloomConfig(vocab_size=97, hidden_size=32, n_layer=2, n_head=4)
    model = AutoModelForCausalLM.from_config(config).eval()
    with pytest.raises(UnsupportedArchitecture, match="BloomForCausalLM"):
        enable_masking(model)
