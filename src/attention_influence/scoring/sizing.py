"""Batch size from the memory a device has free: estimated from the model's shapes, then
confirmed by probing a real batch (on CUDA), with headroom.

A batch of N tokens costs about `per_token x N + fixed` bytes above the weights: activations of
the widest step of a decoder layer, twice over in the doubled upper layers, plus the attention
mask the kernel needs (a dense T x T mask per row for sdpa/eager on packed or padded rows, none
for flex attention), plus a fixed LM-head chunk of float32 logits and log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from attention_influence.errors import SettingError
from attention_influence.scoring.compile import is_out_of_memory

HEADROOM = 0.8  # share of the free memory a batch may take
CPU_BATCH_TOKENS = 8192  # on a CPU one row already runs at the matmul peak: larger batches only cost memory
MAX_BATCH_TOKENS = 1 << 18  # beyond this a GPU is no faster, and a chunk of documents rarely has more
CPU_CHUNK_TOKENS = 256  # LM-head rows at a time on a CPU: 50 MB of float32 logits for a 49k vocabulary (RSS)


@dataclass(frozen=True)
class Footprint:
    """Estimated memory of a batch above the weights: per_token x tokens + fixed (bytes)."""

    per_token: float
    fixed: float

    def batch_tokens(self, budget: float, row_length: int) -> int:
        """The largest batch (a multiple of `row_length`) whose estimate fits `budget` bytes."""
        rows = int((budget - self.fixed) // (self.per_token * row_length))
        if rows < 1:
            need = (self.fixed + self.per_token * row_length) / 2**20
            raise SettingError(
                "batch_tokens", f"one row of {row_length} tokens needs ~{need:,.0f} MiB, over the budget"
            )
        return rows * row_length


def footprint(model: torch.nn.Module, row_length: int, attention: str, chunk_tokens: int) -> Footprint:
    """Estimate the memory of a doubled (base + masked) batch of rows of `row_length` tokens."""
    config = model.config.get_text_config()
    width = config.hidden_size
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or width // heads
    inner = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * width
    element = next(model.parameters()).element_size()
    attn = 4 * heads * head_dim + 2 * kv_heads * head_dim + width  # q, repeated k and v, output; elements/token
    mlp = 3 * inner + width  # gate, up, activation, down
    per_token = element * (3 * width + 2 * (3 * width + max(attn, mlp)))  # prefix rows + doubled upper rows
    if attention != "flex_attention":  # dense (R, 1, T, T) mask, and its doubled copy
        per_token += 3 * row_length * (1 if attention.endswith("sdpa") else element)
    if attention.endswith("eager"):  # attention logits and probabilities of a layer, doubled
        per_token += 2 * 2 * heads * row_length * element
    vocab = model.get_output_embeddings().weight.shape[0]
    fixed = chunk_tokens * vocab * (4 + 4 + element)  # head output, float32 logits, log-probabilities
    return Footprint(per_token, fixed)


def rows_per_batch(batch_tokens: int, row_length: int) -> int:
    """Rows of a packed batch: a power of two, so split and partial batches reuse compiled shapes."""
    rows = max(1, batch_tokens // row_length)
    return 1 << (rows.bit_length() - 1)


def chunk_tokens_for(budget: float, vocab: int) -> int:
    """LM-head rows per chunk on a GPU: a 16th of the budget, 1,024 to 16,384 rows."""
    return int(min(16384, max(1024, budget / 16 / (12 * vocab))))


def device_budget(device: torch.device) -> float:
    """Bytes a batch may take on a CUDA device: HEADROOM x (free + cached by torch but unused)."""
    free, _total = torch.cuda.mem_get_info(device)
    cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return HEADROOM * (free + cached)


def fit_to_budget(tokens: int, row_length: int, budget: float, measure: Callable[[int], int], tries: int = 4) -> int:
    """Confirm a batch size by running it: `measure(tokens)` runs a batch of `tokens` and returns
    its peak bytes (or raises out-of-memory). Shrinks in proportion until a batch fits `budget`;
    returns the size that fit (one row if none did)."""
    tokens = max(row_length, tokens - tokens % row_length)
    for _ in range(tries):
        try:
            peak = measure(tokens)
        except Exception as err:
            if not is_out_of_memory(err):
                raise
            peak = 2 * budget  # did not fit at all: halve
        if peak <= budget or tokens == row_length:
            return tokens
        smaller = int(tokens * budget / peak * 0.95)
        tokens = max(row_length, smaller - smaller % row_length)
    return tokens
