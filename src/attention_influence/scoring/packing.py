"""Batches for the engine: segments packed into rows of one fixed length (no padding inside rows),
or one segment per row, right-padded to the batch's longest.

A packed row holds several segments back to back; each restarts its position ids at 0. Given
`position_ids` and no `attention_mask`, transformers builds a mask in which a token sees only the
earlier tokens of its own segment (masking_utils.find_packed_sequence_indices: a new segment
starts wherever the position does not grow by one), as a dense mask for sdpa/eager and as a block
mask for flex attention. So every segment is scored exactly as alone, and a masked head's uniform
attention stays inside its segment. The unused tail of a row is one filler segment (never scored).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch


class Window(NamedTuple):
    """A segment: token ids, of which the first `skip` targets are context only (a BOS put in front
    of a later window of a document: the token after it was predicted in the window before)."""

    ids: Sequence[int]
    skip: int = 0


def _window(segment: Sequence[int] | Window) -> Window:
    return segment if isinstance(segment, Window) else Window(segment)


def pack_rows(lengths: Sequence[int], row_length: int) -> list[list[int]]:
    """Group items (by index, each <= row_length) into rows of at most `row_length` tokens:
    best-fit decreasing (each item, longest first, goes to the fullest row it fits in)."""
    rows: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (space left, row index), sorted
    for index in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        length = lengths[index]
        if length > row_length:
            raise ValueError(f"item of {length} tokens does not fit a row of {row_length}")
        at = bisect.bisect_left(free, (length, -1))
        if at < len(free):
            space, row = free.pop(at)
        else:
            space, row = row_length, len(rows)
            rows.append([])
        rows[row].append(index)
        if space - length > 1:  # a segment needs at least 2 tokens
            bisect.insort(free, (space - length, row))
    return rows


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


@dataclass
class Batch:
    """Token rows, and which positions predict which token of which segment.

    Exactly one of `position_ids` (packed rows) and `attention_mask` (padded rows) is set."""

    ids: torch.Tensor  # (R, T) token ids
    position_ids: torch.Tensor | None  # (R, T) restarting at 0 in each segment
    attention_mask: torch.Tensor | None  # (R, T) 1 on real tokens
    source: torch.Tensor  # (N,) flat index into R*T of each position that predicts a token
    target: torch.Tensor  # (N,) the token it predicts
    segment: torch.Tensor  # (N,) the segment it belongs to, 0..n_segments-1 in batch order
    n_segments: int
    real_tokens: int  # tokens of the segments (the rest is padding or filler)

    def to(self, device: torch.device) -> Batch:
        move = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Batch(
            move(self.ids),
            move(self.position_ids),
            move(self.attention_mask),
            move(self.source),
            move(self.target),
            move(self.segment),
            self.n_segments,
            self.real_tokens,
        )


def build_batch(
    rows: Sequence[Sequence[Sequence[int] | Window]], pad_id: int, row_length: int | None, n_rows: int
) -> Batch:
    """`rows`: for each row, the segments (token lists or Windows, >= 2 tokens) it holds, in order.

    Packed (`row_length` set): every row is `row_length` long, segments back to back, and the
    batch has `n_rows` rows (>= len(rows): the extra rows are filler). Padded (`row_length` None):
    one segment per row, right-padded to the longest; `n_rows` must equal len(rows)."""
    packed = row_length is not None
    rows = [[_window(seg) for seg in row] for row in rows]
    width = row_length if packed else max(len(row[0].ids) for row in rows)
    ids = torch.full((n_rows, width), pad_id, dtype=torch.long)  # (R, T)
    positions = torch.zeros((n_rows, width), dtype=torch.long) if packed else None  # (R, T); filler tokens at 0
    mask = None if packed else torch.zeros((n_rows, width), dtype=torch.long)
    sources, segments, n_segments, real = [], [], 0, 0
    for r, row in enumerate(rows):
        start = 0
        for seg, skip in row:
            n = len(seg)
            ids[r, start : start + n] = torch.as_tensor(seg, dtype=torch.long)
            if packed:
                positions[r, start : start + n] = torch.arange(n)
            else:
                mask[r, :n] = 1
            sources.append(torch.arange(r * width + start + skip, r * width + start + n - 1))  # rows predicting a token
            segments.append(torch.full((n - 1 - skip,), n_segments, dtype=torch.long))
            n_segments += 1
            real += n
            start += n
    source = torch.cat(sources)  # (N,)
    return Batch(ids, positions, mask, source, ids.view(-1)[source + 1], torch.cat(segments), n_segments, real)
