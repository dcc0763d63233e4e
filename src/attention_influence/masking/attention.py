"""Uniform-attention head masking, done once for every architecture through transformers'
attention interface (METHOD.md section 2).

A masked head must attend uniformly to every key it can see: 1/(number of visible keys) on
each row, with causal, padding and sliding-window masks respected. Under softmax attention a
zero query gives exactly that (all logits equal, so the mask alone shapes the distribution),
so the registered attention function zeroes the masked heads' queries and hands over to the
model's own kernel (sdpa, flash, flex or the modeling file's eager function). This keeps the
fast kernels and never touches modeling code.

Usage::

    layers = enable_masking(model)            # once per model
    with mask_heads(model, [(3, 1), (7, 4)]):  # any forward inside sees those heads masked
        model(input_ids)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch

from attention_influence.errors import ModelError

PREFIX = "attninf_"
_KEEP = "_attninf_keep"  # (1|B, H, 1, 1) bool: False on masked heads (and rows)
_RECORDER = "_attninf_recorder"  # callable(module, query, key) used by head detection
_discovered: list[tuple[torch.nn.Module, int, int]] | None = None  # (module, H, KVH) in call order


class UnsupportedArchitecture(ModelError):
    """The model does not route its attention through transformers' attention interface."""


def _base_function(base: str, module: torch.nn.Module) -> Callable:
    from transformers import AttentionInterface

    if base == "eager":  # each modeling file has its own eager function
        eager = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
        if eager is None:
            raise UnsupportedArchitecture(f"{type(module).__name__} has no eager_attention_forward")
        return eager
    return AttentionInterface()[base]


def _make_attention(base: str) -> Callable:
    def attention(module, query, key, value, attention_mask, *args, **kwargs):
        # query (B, H, T, D); key, value (B, KVH, S, D)
        if _discovered is not None:
            _discovered.append((module, query.shape[1], key.shape[1]))
        keep = getattr(module, _KEEP, None)
        if keep is not None:
            if kwargs.get("s_aux") is not None or kwargs.get("sinks") is not None:
                raise UnsupportedArchitecture(
                    f"{type(module).__name__} uses attention sinks: a zero query is not uniform"
                )
            query = torch.where(keep, query, torch.zeros((), dtype=query.dtype, device=query.device))
        recorder = getattr(module, _RECORDER, None)
        if recorder is not None:
            recorder(module, query, key)
        return _base_function(base, module)(module, query, key, value, attention_mask, *args, **kwargs)

    attention.__name__ = f"{PREFIX}{base}"
    return attention


def _register(base: str) -> str:
    """Register the masking wrapper of `base` (and `base`'s mask builder) under attninf_<base>."""
    from transformers import AttentionInterface, AttentionMaskInterface

    name = f"{PREFIX}{base}"
    if name not in AttentionInterface():
        AttentionInterface.register(name, _make_attention(base))
        masks = AttentionMaskInterface()
        AttentionMaskInterface.register(name, masks[base] if base in masks else masks["sdpa"])
    return name


@dataclass(frozen=True)
class AttentionLayer:
    """One attention module of the model, in forward order."""

    module: torch.nn.Module
    num_heads: int
    num_kv_heads: int


def base_attention(model: torch.nn.Module) -> str:
    """The attention kernel the model runs under the masking wrapper (sdpa, eager, flex_attention, ...)."""
    name = model.config._attn_implementation or "eager"
    return name[len(PREFIX) :] if name.startswith(PREFIX) else name


def use_attention(model: torch.nn.Module, base: str) -> None:
    """Run `model`'s attention on the kernel `base` (e.g. flex_attention), masking kept."""
    if base_attention(model) != base:
        model.set_attn_implementation(_register(base))


def enable_masking(model: torch.nn.Module) -> list[AttentionLayer]:
    """Route `model`'s attention through the masking function; return its attention layers.

    Idempotent. Raises UnsupportedArchitecture, naming the model, when the architecture does not
    use the attention interface (its layers would silently ignore the mask).
    """
    global _discovered
    cached = getattr(model, "_attninf_layers", None)
    if cached is not None:
        return cached
    base = base_attention(model)
    arch = type(model).__name__
    model.set_attn_implementation(_register(base))
    vocab = int(getattr(model.config, "vocab_size", None) or model.config.get_text_config().vocab_size)
    probe = torch.arange(1, 5, device=next(model.parameters()).device).clamp(max=vocab - 1)[None]  # (1, 4)
    _discovered = []
    try:
        with torch.no_grad():
            model(input_ids=probe, use_cache=False)
        calls = _discovered
    finally:
        _discovered = None
    if not calls:
        if model.config._attn_implementation != base:
            model.set_attn_implementation(base)
        raise UnsupportedArchitecture(
            f"{arch} ({model.config.model_type}) does not use transformers' attention interface, "
            "so its heads cannot be masked; use a model whose modeling code calls "
            "ALL_ATTENTION_FUNCTIONS (Llama, Qwen, Mistral, Gemma, Phi, GPT-2, GPT-NeoX, OLMo, ...)"
        )
    layers = [AttentionLayer(m, h, kv) for m, h, kv in calls]
    model._attninf_layers = layers
    return layers


def head_shape(model: torch.nn.Module) -> tuple[int, int]:
    """(number of attention layers, heads per layer) of a masking-enabled model."""
    layers = enable_masking(model)
    return len(layers), max(layer.num_heads for layer in layers)


def validate_heads(model: torch.nn.Module, heads: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Check (layer, head) pairs against the model; return them sorted and unique."""
    layers = enable_masking(model)
    out = sorted({(int(layer), int(head)) for layer, head in heads})
    for layer, head in out:
        if not 0 <= layer < len(layers):
            raise ValueError(f"head {layer}:{head}: layer out of range (model has {len(layers)} layers)")
        if not 0 <= head < layers[layer].num_heads:
            raise ValueError(
                f"head {layer}:{head}: head out of range (layer {layer} has {layers[layer].num_heads} heads)"
            )
    return out


@contextlib.contextmanager
def mask_heads(
    model: torch.nn.Module,
    heads: Iterable[tuple[int, int]],
    rows: torch.Tensor | None = None,
) -> Iterator[None]:
    """Mask `heads` ((layer, head) pairs) to uniform attention for forwards inside the block.

    `rows`: optional (B,) bool tensor; only those batch rows are masked (the others run the
    full model), so one batch can carry both the base and the masked pass.
    """
    layers = enable_masking(model)
    heads = validate_heads(model, heads)
    by_layer: dict[int, list[int]] = {}
    for layer, head in heads:
        by_layer.setdefault(layer, []).append(head)
    touched = []
    try:
        for layer, head_ids in by_layer.items():
            module = layers[layer].module
            device = next(module.parameters()).device
            keep = torch.ones(layers[layer].num_heads, dtype=torch.bool, device=device)
            keep[head_ids] = False
            keep = keep[None, :, None, None]  # (1, H, 1, 1)
            if rows is not None:
                keep = keep | ~rows.to(device)[:, None, None, None]  # (B, H, 1, 1)
            setattr(module, _KEEP, keep)
            touched.append(module)
        yield
    finally:
        for module in touched:
            if hasattr(module, _KEEP):
                delattr(module, _KEEP)


@contextlib.contextmanager
def record_attention_inputs(model: torch.nn.Module, recorder: Callable) -> Iterator[list[AttentionLayer]]:
    """Call `recorder(layer_index, query, key)` with every layer's post-RoPE query (B, H, T, D)
    and key (B, KVH, S, D) during forwards inside the block."""
    layers = enable_masking(model)
    try:
        for index, layer in enumerate(layers):
            setattr(layer.module, _RECORDER, lambda _m, q, k, i=index: recorder(i, q, k))
        yield layers
    finally:
        for layer in layers:
            if hasattr(layer.module, _RECORDER):
                delattr(layer.module, _RECORDER)
