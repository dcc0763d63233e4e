"""Teacher-forced retrieval scores (METHOD.md section 1, after Wu et al. 2024).

One forward pass per probe over prompt + answer. The row that produces answer token t is row
t-1; head h copies token t when the model predicts it correctly and h's attention argmax on row
t-1 (over the visible keys j <= t-1) lands inside the queried value's span in the JSON context
on a token equal to token t. Attention is computed only for the answer rows, from the recorded
post-RoPE queries and keys, so memory stays O(T x d) per layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from attention_influence.heads.probes import Probe
from attention_influence.masking import enable_masking, record_attention_inputs
from attention_influence.progress import Progress

SOLVED = 0.5  # a probe counts when at least this fraction of its answer tokens is predicted


def attention_argmax(query: torch.Tensor, key: torch.Tensor, rows: torch.Tensor, scaling: float) -> torch.Tensor:
    """Argmax key position of every head on `rows` under a causal mask.

    query (H, T, D) post-RoPE; key (KVH, S, D); rows (A,) query positions. Query head h reads
    key head h // (H / KVH) (grouped-query attention). Returns (H, A) positions j <= row.
    """
    heads, kv_heads = query.shape[0], key.shape[0]
    key = key.repeat_interleave(heads // kv_heads, dim=0)  # (H, S, D)
    q = query[:, rows].float()  # (H, A, D)
    logits = torch.einsum("had,hsd->has", q, key.float()) * scaling  # (H, A, S)
    future = torch.arange(key.shape[1], device=key.device)[None, :] > rows[:, None]  # (A, S)
    return logits.masked_fill(future[None], float("-inf")).argmax(dim=-1)  # (H, A)


def copy_hits(
    argmax: torch.Tensor, input_ids: torch.Tensor, answer_start: int, value_span: tuple[int, int]
) -> torch.Tensor:
    """(H, A) bool: head copied answer token answer_start + a from the queried value.

    argmax (H, A): attended position on row answer_start + a - 1; input_ids (T,).
    """
    targets = input_ids[answer_start:]  # (A,)
    in_value = (argmax >= value_span[0]) & (argmax < value_span[1])
    return in_value & (input_ids[argmax] == targets[None, :])


def _scaling(module: torch.nn.Module, head_dim: int) -> float:
    scaling = getattr(module, "scaling", None)
    return float(scaling) if scaling is not None else head_dim**-0.5


@dataclass
class ProbeResult:
    """What one probe says: per-token correctness and, per layer, each head's copies."""

    correct: torch.Tensor  # (A,) bool: teacher-forced argmax prediction is right
    copies: torch.Tensor  # (L, H) copied answer tokens per head

    @property
    def accuracy(self) -> float:
        return self.correct.float().mean().item()

    @property
    def solved(self) -> bool:
        return self.accuracy >= SOLVED


@torch.no_grad()
def answer_predictions(model: torch.nn.Module, ids: torch.Tensor, answer_start: int) -> torch.Tensor:
    """(A,) bool: the model's argmax on row t-1 equals token t, for every answer token t.

    ids (1, T). Only the answer rows go through the LM head."""
    keep = ids.shape[1] - answer_start + 1  # rows answer_start-1 .. T-1
    logits = model(input_ids=ids, use_cache=False, logits_to_keep=keep).logits[0, :-1]  # (A, V)
    return logits.argmax(-1) == ids[0, answer_start:]


@torch.no_grad()
def probe_result(model: torch.nn.Module, probe: Probe, heads_shape: tuple[int, int]) -> ProbeResult:
    """Run one probe; count every head's copies on the answer tokens it predicts right."""
    layers = enable_masking(model)
    device = next(model.parameters()).device
    ids = torch.tensor([probe.input_ids], device=device)  # (1, T)
    rows = torch.arange(probe.answer_start - 1, ids.shape[1] - 1, device=device)  # (A,)
    copies = torch.zeros(heads_shape, dtype=torch.long)  # (L, H)
    hits: dict[int, torch.Tensor] = {}

    def recorder(layer: int, query: torch.Tensor, key: torch.Tensor) -> None:
        # query (1, H, T, D), key (1, KVH, T, D)
        argmax = attention_argmax(query[0], key[0], rows, _scaling(layers[layer].module, query.shape[-1]))
        hits[layer] = copy_hits(argmax, ids[0], probe.answer_start, probe.value_span).cpu()  # (H, A)

    with record_attention_inputs(model, recorder):
        correct = answer_predictions(model, ids, probe.answer_start).cpu()  # (A,)
    for layer, hit in hits.items():
        copies[layer, : hit.shape[0]] = (hit & correct[None]).sum(-1)
    return ProbeResult(correct, copies)


@dataclass
class RetrievalScores:
    """Retrieval score of every head, averaged over the probes the model solved."""

    scores: torch.Tensor  # (L, H) float
    probes: int
    solved: int
    accuracy: float  # mean answer-token accuracy over all probes


def retrieval_scores(
    model: torch.nn.Module, probes: Sequence[Probe], progress: Progress | None = None
) -> RetrievalScores:
    """Score every head on `probes`: mean over solved probes of copied tokens / answer tokens."""
    layers = enable_masking(model)
    shape = (len(layers), max(layer.num_heads for layer in layers))
    total = torch.zeros(shape, dtype=torch.float64)
    solved, accuracy = 0, 0.0
    for probe in probes:
        result = probe_result(model, probe, shape)
        accuracy += result.accuracy
        if result.solved:
            solved += 1
            total += result.copies.double() / len(probe.answer_ids)
        if progress is not None:
            progress.update(1, tokens=len(probe.input_ids))
    scores = (total / max(solved, 1)).float()
    return RetrievalScores(scores, len(probes), solved, accuracy / max(len(probes), 1))
