"""The scoring engine: per document, mean token loss with the full model and with the heads
masked, and AttentionInfluence = (loss_masked - loss_base) / loss_base (METHOD.md section 3)."""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

from attention_influence.config import resolve_max_length
from attention_influence.errors import SettingError
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.masking import mask_heads, validate_heads
from attention_influence.models import LoadedModel
from attention_influence.scoring import sizing
from attention_influence.scoring.compile import is_out_of_memory
from attention_influence.scoring.packing import Batch, Window, build_batch, pack_rows, plan_batches
from attention_influence.scoring.prepared import PreparedModel, prepare
from attention_influence.scoring.shared_prefix import doubled_batch, first_masked_layer


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


def document_windows(ids: Sequence[int], max_length: int, bos: int | None = None) -> list[Window]:
    """The windows a document is scored in (`split_windows`); when the document starts with the
    model's BOS token `bos` (the tokenizer adds one: Gemma, Llama-3), every later window starts
    with it too, as the model was trained to see text, and its first target (the token after the
    BOS, predicted in the window before) is context only. Every token after the first is still
    predicted exactly once."""
    if bos is None or len(ids) <= max_length or ids[0] != bos:
        return [Window(w) for w in split_windows(ids, max_length)]
    windows, end = [Window(ids[:max_length])], max_length  # targets ids[1:end] are scored
    while end < len(ids):
        window = [bos, *ids[end - 1 : end + max_length - 2]]  # ids[end - 1]: the context token
        windows.append(Window(window, skip=1))
        end += max_length - 2
    return windows


def bos_token(tokenizer) -> int | None:
    """The BOS id the tokenizer puts in front of every text (None when it puts none)."""
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None or not callable(tokenizer):
        return None
    try:
        ids = tokenizer(["a"], add_special_tokens=True)["input_ids"][0]
    except Exception:  # noqa: BLE001 - a tokenizer that cannot say: no BOS handling
        return None
    return bos if ids and ids[0] == bos else None


def influence(loss_base: float, loss_masked: float) -> tuple[float | None, str | None]:
    """(score, reason): the relative loss increase, or None with the reason it is undefined."""
    if not (math.isfinite(loss_base) and math.isfinite(loss_masked)):
        return None, "non-finite loss"
    if loss_base <= 0:
        return None, "zero base loss"
    return (loss_masked - loss_base) / loss_base, None


class Scorer:
    """Scores token sequences with a prepared model and a set of heads to mask.

    `model`: a PreparedModel, or a LoadedModel prepared here (`prepare(model, pack, compile,
    attention, chunk_tokens)`: the model's current preparation when those are None; see
    scoring/prepared.py for what preparing changes on the model and the defaults by device). The
    Scorer itself changes nothing on the model: it holds the heads, the windows and the batching.

    batch_tokens: CUDA: what the device's free memory holds (estimated, then probed), at most
      2^18; CPU: 8,192. At least one window. A batch that runs out of memory is split in two and
      retried (and later batches are smaller), never lost.
    """

    def __init__(
        self,
        model: LoadedModel | PreparedModel,
        heads: HeadSet | str | list,
        max_length: int | None = None,
        truncate: bool = False,
        batch_tokens: int | None = None,
        chunk_tokens: int | None = None,
        shared_prefix: bool = True,
        compile: bool | dict | None = None,
        pack: bool | None = None,
        attention: str | None = None,
    ):
        if isinstance(model, PreparedModel):
            if any(v is not None for v in (chunk_tokens, compile, pack, attention)):
                raise SettingError("model", "a PreparedModel is prepared already: give a LoadedModel with settings")
            self.prepared = model
        else:
            self.prepared = prepare(model, pack, compile, attention, chunk_tokens)
        self.prepared.check_active()
        loaded = self.prepared.loaded
        self.loaded, self.model, self.device, self.tokenizer = loaded, loaded.model, loaded.device, loaded.tokenizer
        self.heads = validate_heads(self.model, parse_heads(heads).heads)
        self.max_length = resolve_max_length(max_length, loaded.max_context)
        if batch_tokens is not None and (isinstance(batch_tokens, bool) or batch_tokens < 1):
            raise SettingError("batch_tokens", f"must be at least 1, got {batch_tokens}")
        self.truncate = truncate
        self.bos = bos_token(self.tokenizer)
        self.shared_prefix = shared_prefix
        self.first_layer = first_masked_layer(self.heads)
        # packed rows hold any window and at least one more token (a row is then always "packed": one mask
        # kind for every batch, so one compiled graph), in multiples of 64 (kernel tiles)
        self.row_length = -(-(self.max_length + 1) // 64) * 64
        # rows of a padded batch are at least min_fill x its longest. On a GPU, padding buys larger matmuls;
        # on a CPU a single row already runs at the matmul peak, so only equal lengths share a batch.
        self.min_fill = 0.8 if self.device.type == "cuda" else 1.0
        self.real_tokens = 0  # tokens scored so far
        self.padded_tokens = 0  # rows x row length, summed over batches
        self.busy_seconds = 0.0  # time spent in forward passes and losses (device synced)
        if batch_tokens is None:
            batch_tokens = self._size_from_device() if self.device.type == "cuda" else sizing.CPU_BATCH_TOKENS
        self.batch_tokens = max(batch_tokens, self.max_length)

    # --- what the preparation decided -----------------------------------------------------------

    @property
    def pack(self) -> bool:
        return self.prepared.pack

    @property
    def attention(self) -> str:
        return self.prepared.attention

    @property
    def compiled(self):
        return self.prepared.compiled

    @property
    def loss_head(self):
        return self.prepared.loss_head

    @property
    def fallbacks(self) -> list[str]:
        return self.prepared.fallbacks

    @property
    def pad_id(self) -> int:
        return self.prepared.pad_id

    def _size_from_device(self) -> int:
        """Batch tokens the CUDA device holds: estimated from the shapes, confirmed by a probe
        (once per row length and model preparation)."""
        sized = self.prepared.sized
        if self.row_length not in sized:
            budget = self.prepared.budget
            footprint = sizing.footprint(self.model, self.row_length, self.attention, self.loss_head.chunk_tokens)
            tokens = min(sizing.MAX_BATCH_TOKENS, footprint.batch_tokens(budget, self.row_length))
            if self.pack:
                tokens = sizing.rows_per_batch(tokens, self.row_length) * self.row_length
            sized[self.row_length] = sizing.fit_to_budget(tokens, self.row_length, budget, self._probe)
        return sized[self.row_length]

    @torch.no_grad()
    def _probe(self, tokens: int) -> int:
        """Peak CUDA bytes of scoring a batch of `tokens` (rows holding a full window of random tokens)."""
        rows = max(1, tokens // self.row_length)
        generator = torch.Generator().manual_seed(0)
        ids = torch.randint(self.prepared.vocab, (rows, self.max_length), generator=generator).tolist()
        batch = build_batch([[row] for row in ids], self.pad_id, self.row_length if self.pack else None, rows)
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        before = torch.cuda.memory_allocated(self.device)
        self.prepared.run(self._forward, batch)
        torch.cuda.synchronize(self.device)
        return torch.cuda.max_memory_allocated(self.device) - before

    @property
    def padding_fraction(self) -> float:
        """Fraction of the batches' token slots that held padding (or packing filler)."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else 0.0

    # --- scoring --------------------------------------------------------------------------------

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []

    @contextlib.contextmanager
    def _both_passes(self, rows: int) -> Iterator[bool]:
        """Inside: a forward of `rows` rows computes both passes in one (yields True: the batch
        comes out doubled, base rows then masked rows), or (no shared prefix) nothing is set up
        and the caller runs the two passes itself (yields False)."""
        if not self.shared_prefix or self.first_layer is None:
            yield False
            return
        masked_rows = torch.arange(2 * rows, device=self.device) >= rows  # (2R,): base rows, then masked
        with doubled_batch(self.model, self.first_layer, rows), mask_heads(self.model, self.heads, rows=masked_rows):
            yield True

    def _forward(self, batch: Batch) -> torch.Tensor:
        """(2, S) float64 summed losses of the batch's segments: base, then masked."""
        batch = batch.to(self.device)
        with self._both_passes(batch.ids.shape[0]) as shared:
            if shared:
                return self.loss_head.segment_losses(batch)
        base = self.loss_head.segment_losses(batch)
        with mask_heads(self.model, self.heads):
            return torch.cat([base, self.loss_head.segment_losses(batch)])

    @torch.no_grad()
    def token_losses(self, ids: Sequence[int]) -> tuple[list[float], list[float]]:
        """Per-target cross-entropy of one document, full model and heads masked (len(ids) - 1
        each): through the same windows and the same shared-prefix pass as its score."""
        base: list[float] = []
        masked: list[float] = []
        for window, skip in document_windows(list(ids), self.max_length, self.bos):
            input_ids = torch.as_tensor([window], dtype=torch.long, device=self.device)  # (1, T)
            mask = torch.ones_like(input_ids)
            self.prepared.check_active()
            with self._both_passes(1) as shared:
                if shared:
                    both = self.loss_head.target_losses(input_ids, mask)  # (2, T-1)
            if not shared:
                with mask_heads(self.model, self.heads):
                    masked_row = self.loss_head.target_losses(input_ids, mask)
                both = torch.cat([self.loss_head.target_losses(input_ids, mask), masked_row])
            base += both[0, skip:].tolist()
            masked += both[1, skip:].tolist()
        return base, masked

    def _plan(self, segments: list[int], lengths: Sequence[int]) -> list[list[list[int]]]:
        """Batches of rows of segment indices: packed rows of `row_length`, grouped by the
        (power-of-two) rows per batch; or one segment per row, padded batches by length."""
        sizes = [lengths[i] for i in segments]
        if self.pack:
            rows = [[segments[j] for j in row] for row in pack_rows(sizes, self.row_length)]
            per_batch = sizing.rows_per_batch(self.batch_tokens, self.row_length)
            return [rows[k : k + per_batch] for k in range(0, len(rows), per_batch)]
        return [[[segments[j]] for j in batch] for batch in plan_batches(sizes, self.batch_tokens, self.min_fill)]

    def _losses(self, rows: list[list[int]], segments: Sequence[Sequence[int]]) -> torch.Tensor:
        """(2, S) losses of the segments of `rows`, in row order."""
        n_rows = len(rows)
        if self.pack and self.prepared.compiled_shapes:
            n_rows = 1 << (n_rows - 1).bit_length()  # a power of two: few compiled shapes
        width = self.row_length if self.pack else None
        batch = build_batch([[segments[i] for i in row] for row in rows], self.pad_id, width, n_rows)
        start = time.perf_counter()
        losses = self.prepared.run(self._forward, batch)  # .cpu() inside: synced
        self.busy_seconds += time.perf_counter() - start
        self.real_tokens += batch.real_tokens
        self.padded_tokens += batch.ids.numel()
        return losses

    def _split_on_oom(self, rows: list[list[int]], segments) -> list[tuple[list[list[int]], torch.Tensor]]:
        """[(rows, losses)]: the batch at once, or, when it runs out of memory, its halves (recursively)."""
        try:
            return [(rows, self._losses(rows, segments))]
        except Exception as err:
            if not is_out_of_memory(err) or len(rows) == 1:
                raise
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        width = self.row_length if self.pack else max(len(segments[row[0]].ids) for row in rows)
        self.batch_tokens = max(self.max_length, len(rows) // 2 * width)  # later batches are planned smaller
        half = len(rows) // 2
        return self._split_on_oom(rows[:half], segments) + self._split_on_oom(rows[half:], segments)

    def score_token_lists(
        self, docs: Iterable[Sequence[int]], on_batch: Callable[[int, int], None] | None = None
    ) -> list[DocScore]:
        """Score tokenized documents; the result does not depend on how they are batched.

        `on_batch(documents, tokens)` is called after each batch with the documents it completed
        and the tokens it scored (summed over the calls: every document, and every token fed to
        the model; a document too short to score counts with the first call)."""
        docs = list(docs)
        segments: list[Window] = []
        owner: list[int] = []
        for index, ids in enumerate(docs):
            if len(ids) < 2:
                continue
            truncated = [Window(ids[: self.max_length])]
            windows = truncated if self.truncate else document_windows(ids, self.max_length, self.bos)
            segments.extend(windows)
            owner.extend([index] * len(windows))
        left = [0] * len(docs)  # segments still to score, per document
        for index in owner:
            left[index] += 1
        unreported = sum(1 for n in left if n == 0)  # nothing to score: done from the start
        lengths = [len(s.ids) for s in segments]
        sums = torch.zeros(len(docs), 2, dtype=torch.float64)
        queue = deque(self._plan(list(range(len(segments))), lengths))
        while queue:
            planned = self.batch_tokens
            done, tokens = unreported, 0
            for rows, losses in self._split_on_oom(queue.popleft(), segments):
                order = [i for row in rows for i in row]
                sums.index_add_(0, torch.tensor([owner[i] for i in order], dtype=torch.long), losses.T)
                for i in order:
                    left[owner[i]] -= 1
                    done += left[owner[i]] == 0
                    tokens += lengths[i]
            unreported = 0
            if on_batch is not None:
                on_batch(done, tokens)
            if self.batch_tokens < planned and queue:  # out of memory: plan the rest smaller
                queue = deque(self._plan([i for batch in queue for row in batch for i in row], lengths))
        if unreported and on_batch is not None:
            on_batch(unreported, 0)
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

    def score_texts(self, texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None) -> list[DocScore]:
        return self.score_token_lists(self.tokenize(texts), on_batch)
