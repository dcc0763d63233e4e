"""The naive way to score, the reference for tests and the benchmark (bench/throughput.py): two separate full
forward passes (full-vocabulary logits), base then masked, per batch of documents in corpus order
padded to the longest; batch_size=1 is what the public re-implementation does."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from attention_influence.masking import mask_heads
from attention_influence.scoring.engine import split_windows


@torch.no_grad()
def _summed_losses(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, T) right-padded ids and mask -> (B,) summed next-token cross-entropy."""
    logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits  # (B, T, V)
    targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)  # (B, T-1)
    flat = logits[:, :-1].float().reshape(-1, logits.shape[-1])  # (B (T-1), V), as transformers' own loss
    ce = F.cross_entropy(flat, targets.reshape(-1), reduction="none", ignore_index=-100)
    return ce.view(targets.shape).sum(1)  # (B,)


def naive_losses(
    model: torch.nn.Module,
    docs: Sequence[Sequence[int]],
    heads: Sequence[tuple[int, int]],
    batch_size: int = 1,
    max_length: int = 4096,
    pad_id: int = 0,
) -> list[tuple[float, float]]:
    """(mean base loss, mean masked loss) per document (of at least 2 tokens)."""
    device = next(model.parameters()).device
    segments = [(i, w) for i, doc in enumerate(docs) for w in split_windows(doc, max_length)]
    sums = torch.zeros(len(docs), 2, dtype=torch.float64)
    for start in range(0, len(segments), batch_size):
        batch = segments[start : start + batch_size]
        longest = max(len(w) for _, w in batch)
        ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)  # (B, T)
        mask = torch.zeros_like(ids)
        for row, (_, window) in enumerate(batch):
            ids[row, : len(window)] = torch.as_tensor(window)
            mask[row, : len(window)] = 1
        ids, mask = ids.to(device), mask.to(device)
        base = _summed_losses(model, ids, mask)
        with mask_heads(model, heads):
            masked = _summed_losses(model, ids, mask)
        for row, (owner, _) in enumerate(batch):
            sums[owner, 0] += float(base[row])
            sums[owner, 1] += float(masked[row])
    return [(float(s[0]) / (len(doc) - 1), float(s[1]) / (len(doc) - 1)) for s, doc in zip(sums, docs, strict=True)]


def selector_config(vocab_size: int = 49152):
    """The paper's 1.3B selector shape (LLaMA-2-like: 16 layers, 20 heads, GQA, 4,096 context), with
    hidden size 2048: 20 heads of 128 (query width 2560), 4 key/value heads, MLP 9216, untied
    embeddings of the embedded model's vocabulary: 1.31B parameters. For random-weight models."""
    import transformers

    config = transformers.LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=2048,
        intermediate_size=9216,
        num_hidden_layers=16,
        num_attention_heads=16,  # set to 20 below: the constructor wants hidden = heads x head_dim
        num_key_value_heads=4,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
    )
    config.num_attention_heads, config.head_dim = 20, 128
    return config


def reference_cut(
    scores: np.ndarray,
    ids: np.ndarray,
    tokens: np.ndarray,
    fraction: float,
    by: str,
    documents: int | None = None,
    total_tokens: int | None = None,
) -> np.ndarray:
    """The selection of one domain the slow, obvious way (the reference of selection/cut.py): the
    eligible rows sorted by score (best first), ties by id; kept while the count is under
    ceil(fraction x documents), or while the tokens kept before a row are under fraction x tokens.
    `documents` and `total_tokens` (all the domain's rows, excluded ones too) default to these rows'."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], str(ids[i])))
    if by == "docs":
        count = len(scores) if documents is None else documents
        return np.array(order[: min(math.ceil(fraction * count - 1e-9), len(order))], dtype=np.int64)
    budget = fraction * (int(np.sum(tokens)) if total_tokens is None else total_tokens)
    kept, before = [], 0
    for i in order:
        if before >= budget - 1e-9:
            break
        kept.append(i)
        before += int(tokens[i])
    return np.array(kept, dtype=np.int64)
