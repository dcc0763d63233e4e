"""One forward pass for both losses: the layers below the first masked head run once, the rest
run on the batch doubled (base rows, then masked rows).

The base and masked passes are identical up to the first decoder layer that holds a masked
head. Forward pre-hooks on that layer and every later one repeat, along dim 0, the hidden
states and every batch-shaped tensor the model hands to its layers (attention masks, flex block
masks, rotary (cos, sin), position ids, ...), so rows [0, B) continue the full model and rows [B, 2B) the
masked one (`mask_heads(..., rows=...)` masks only those). Nothing in the modeling code changes,
so this works for every architecture the masking supports.

Usage::

    with doubled_batch(model, first_layer, batch_size=B):  # hidden states come out (2B, T, D)
        hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch.nn.attention.flex_attention import BlockMask

from attention_influence.masking import enable_masking


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The decoder layer modules in forward order, one per attention layer of `enable_masking`.

    A decoder layer is the element of a ModuleList that holds an attention module."""
    attention = {id(layer.module): i for i, layer in enumerate(enable_masking(model))}
    found: list[torch.nn.Module | None] = [None] * len(attention)
    for module in model.modules():
        if not isinstance(module, torch.nn.ModuleList):
            continue
        for child in module:
            for sub in child.modules():
                index = attention.get(id(sub))
                if index is not None and found[index] is None:
                    found[index] = child
    if any(layer is None for layer in found):
        raise ValueError(f"{type(model).__name__}: cannot find the decoder layer of every attention module")
    return found


def first_masked_layer(heads: Sequence[tuple[int, int]]) -> int | None:
    """Index of the lowest attention layer with a masked head (None when no head is masked)."""
    return min((layer for layer, _ in heads), default=None)


def double_block_mask(mask: BlockMask, batch_size: int) -> BlockMask:
    """A flex-attention block mask for the batch repeated twice along dim 0."""
    twice = lambda t: None if t is None else torch.cat([t, t], dim=0)  # noqa: E731
    mask_mod = mask.mask_mod

    def doubled_mod(b, h, q_idx, kv_idx):
        return mask_mod(torch.where(b < batch_size, b, b - batch_size), h, q_idx, kv_idx)

    return BlockMask.from_kv_blocks(
        twice(mask.kv_num_blocks),
        twice(mask.kv_indices),
        twice(mask.full_kv_num_blocks),
        twice(mask.full_kv_indices),
        BLOCK_SIZE=mask.BLOCK_SIZE,
        mask_mod=doubled_mod,
        seq_lengths=mask.seq_lengths,
        compute_q_blocks=False,  # only the backward pass reads them
    )


class _Doubler:
    """Repeats batch-shaped tensors (dim 0 == batch_size, 2+ dims) and flex block masks twice
    along dim 0, once each."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.done: dict[int, tuple[object, object]] = {}  # id(original) -> (original, doubled)

    def _once(self, value, double):
        cached = self.done.get(id(value))
        if cached is None or cached[0] is not value:
            cached = (value, double(value))
            self.done[id(value)] = cached
        return cached[1]

    def __call__(self, value):
        if isinstance(value, torch.Tensor):
            if value.dim() < 2 or value.shape[0] != self.batch_size:
                return value
            return self._once(value, lambda v: torch.cat([v, v], dim=0))
        if isinstance(value, BlockMask):
            if value.kv_num_blocks.shape[0] != self.batch_size:
                return value
            return self._once(value, lambda v: double_block_mask(v, self.batch_size))
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value

    def hook(self, _module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return self(args), self(kwargs)


@contextlib.contextmanager
def doubled_batch(model: torch.nn.Module, first_layer: int, batch_size: int) -> Iterator[None]:
    """Inside the block, decoder layers `first_layer`.. run on the batch doubled along dim 0."""
    upper = list({id(layer): layer for layer in decoder_layers(model)[first_layer:]}.values())
    doubler = _Doubler(batch_size)
    handles = [layer.register_forward_pre_hook(doubler.hook, with_kwargs=True) for layer in upper]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
