"""The scoring engine: per document, mean token loss with the full model and with the heads
masked, and AttentionInfluence = (loss_masked - loss_base) / loss_base (METHOD.md section 3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from attention_influence.heads import HeadSet, parse_heads
from attention_influence.masking import enable_masking, mask_heads, validate_heads
from attention_influence.models import LoadedModel
from attention_influence.scoring.losses import LossHead
from attention_influence.scoring.shared_prefix import doubled_batch, first_masked_layer

MAX_DEFAULT_LENGTH = 4096


@dataclass
class DocScore:
    """The result for one document. `score` is None when `reason` says why it has none."""

    n_tokens: int  # tokens fed to the model (after --truncate)
    n_predicted: int  # tokens whose loss is averaged
    loss_base: float | None
    loss_masked: float | None
    score: float | None
    reason: str | None = None
    truncated: bool = False


def split_windows(ids: Sequence[int], max_length: int) -> list[Sequence[int]]:
    """Windows of at most `max_length` tokens that overlap by one token, so that every token
    after the first is predicted exactly once, with as much context as the window allows."""
    if len(ids) <= max_length:
        return [ids]
    stride = max_length - 1
    return [ids[start : start + max_length] for start in range(0, len(ids) - 1, stride)]


def plan_batches(lengths: Sequence[int], batch_tokens: int, min_fill: float = 0.8) -> list[list[int]]:
    """Group items (by index) so that each batch's padded size (rows x longest) fits
    `batch_tokens`; longest first, similar lengths together. A batch also closes at an item
    shorter than `min_fill` x its longest, so padding stays under 1 - min_fill of each batch."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for index in order:
        longest = lengths[batches[-1][0]] if batches else 0
        if batches and (len(batches[-1]) + 1) * longest <= batch_tokens and lengths[index] >= min_fill * longest:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


def influence(loss_base: float, loss_masked: float) -> tuple[float | None, str | None]:
    """(score, reason): the relative loss increase, or None with the reason it is undefined."""
    if not (math.isfinite(loss_base) and math.isfinite(loss_masked)):
        return None, "non-finite loss"
    if loss_base <= 0:
        return None, "zero base loss"
    return (loss_masked - loss_base) / loss_base, None


class Scorer:
    """Scores token sequences with a loaded model and a set of heads to mask."""

    def __init__(
        self,
        loaded: LoadedModel,
        heads: HeadSet | str | list,
        max_length: int | None = None,
        truncate: bool = False,
        batch_tokens: int = 8192,
        chunk_tokens: int = 1024,
        shared_prefix: bool = True,
        compile: bool = False,
    ):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.tokenizer.model_max_length = 1 << 40  # windows are ours to cut; silence the warning
        enable_masking(self.model)
        self.heads = validate_heads(self.model, parse_heads(heads).heads)
        self.max_length = max_length or min(loaded.max_context, MAX_DEFAULT_LENGTH)
        if self.max_length < 2:
            raise ValueError("--max-length must be at least 2")
        self.truncate = truncate
        self.batch_tokens = max(batch_tokens, self.max_length)
        self.loss_head = LossHead(self.model, chunk_tokens)
        self.pad_id = self.tokenizer.pad_token_id or 0
        self.shared_prefix = shared_prefix
        self.first_layer = first_masked_layer(self.heads)
        # rows of a batch are at least min_fill x its longest. On a GPU, padding buys larger matmuls;
        # on a CPU a single row already runs at the matmul peak, so only equal lengths share a batch.
        self.min_fill = 0.8 if loaded.device.type == "cuda" else 1.0
        self.real_tokens = 0  # tokens scored so far
        self.padded_tokens = 0  # rows x longest, summed over batches
        if compile:
            compile_layers(self.model)

    @property
    def padding_fraction(self) -> float:
        """Fraction of the batches' token slots that held padding."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else 0.0

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []

    def _batch_tensors(self, seqs: list[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        longest = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), longest), self.pad_id, dtype=torch.long)  # (B, T)
        mask = torch.zeros((len(seqs), longest), dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        return ids.to(self.loaded.device), mask.to(self.loaded.device)

    def segment_losses(self, seqs: list[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed cross-entropy per segment, (B,) base and (B,) masked, from one shared pass:
        the layers below the first masked one run once, the others on base + masked rows."""
        ids, mask = self._batch_tensors(seqs)
        self.real_tokens += sum(len(s) for s in seqs)  # from the lengths: no device sync
        self.padded_tokens += ids.numel()
        if not self.shared_prefix or self.first_layer is None:
            return self.separate_losses(ids, mask)
        batch = ids.shape[0]
        masked_rows = torch.arange(2 * batch, device=ids.device) >= batch  # (2B,): base rows, then masked
        with doubled_batch(self.model, self.first_layer, batch), mask_heads(self.model, self.heads, rows=masked_rows):
            losses = self.loss_head.target_losses(ids, mask).sum(1)  # (2B,)
        return losses[:batch].double().cpu(), losses[batch:].double().cpu()

    def separate_losses(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The naive way: two full passes, base then masked; (B,) summed losses each."""
        base = self.loss_head.target_losses(ids, mask).sum(1)
        with mask_heads(self.model, self.heads):
            masked = self.loss_head.target_losses(ids, mask).sum(1)
        return base.double().cpu(), masked.double().cpu()

    def score_token_lists(self, docs: Iterable[Sequence[int]]) -> list[DocScore]:
        """Score tokenized documents; the result does not depend on how they are batched."""
        docs = list(docs)
        segments: list[Sequence[int]] = []
        owner: list[int] = []
        for index, ids in enumerate(docs):
            if len(ids) < 2:
                continue
            windows = [ids[: self.max_length]] if self.truncate else split_windows(ids, self.max_length)
            segments.extend(windows)
            owner.extend([index] * len(windows))
        sums = torch.zeros(len(docs), 2, dtype=torch.float64)
        for batch in plan_batches([len(s) for s in segments], self.batch_tokens, self.min_fill):
            base, masked = self.segment_losses([segments[i] for i in batch])
            for row, i in enumerate(batch):
                sums[owner[i], 0] += base[row]
                sums[owner[i], 1] += masked[row]
        return [self._result(ids, sums[i]) for i, ids in enumerate(docs)]

    def _result(self, ids: Sequence[int], sums: torch.Tensor) -> DocScore:
        n_tokens = len(ids)
        if n_tokens < 2:
            return DocScore(n_tokens, 0, None, None, None, "fewer than 2 tokens")
        truncated = self.truncate and n_tokens > self.max_length
        if truncated:
            n_tokens = self.max_length
        n_predicted = n_tokens - 1
        loss_base, loss_masked = (sums / n_predicted).tolist()
        score, reason = influence(loss_base, loss_masked)
        if reason:
            return DocScore(n_tokens, n_predicted, None, None, None, reason, truncated)
        return DocScore(n_tokens, n_predicted, loss_base, loss_masked, score, None, truncated)

    def score_texts(self, texts: Sequence[str]) -> list[DocScore]:
        return self.score_token_lists(self.tokenize(texts))


def compile_layers(model: torch.nn.Module) -> None:
    """torch.compile each decoder layer's forward (dynamic shapes); hooks and masking stay outside
    the compiled graph's inputs, so the shared-prefix pass and head masking keep working."""
    from attention_influence.scoring.shared_prefix import decoder_layers

    for layer in {id(m): m for m in decoder_layers(model)}.values():
        layer.forward = torch.compile(layer.forward, dynamic=True)
