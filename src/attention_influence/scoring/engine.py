"""The scoring engine: per document, mean token loss with the full model and with the heads
masked, and AttentionInfluence = (loss_masked - loss_base) / loss_base (METHOD.md section 3)."""

from __future__ import annotations

import math
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from attention_influence.config import MIN_LENGTH
from attention_influence.errors import ModelError, SettingError
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.masking import enable_masking, mask_heads, validate_heads
from attention_influence.masking.attention import base_attention, use_attention
from attention_influence.models import LoadedModel
from attention_influence.scoring import sizing
from attention_influence.scoring.compile import CompiledLayers, is_out_of_memory
from attention_influence.scoring.losses import LossHead
from attention_influence.scoring.packing import Batch, build_batch, pack_rows, plan_batches
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


def influence(loss_base: float, loss_masked: float) -> tuple[float | None, str | None]:
    """(score, reason): the relative loss increase, or None with the reason it is undefined."""
    if not (math.isfinite(loss_base) and math.isfinite(loss_masked)):
        return None, "non-finite loss"
    if loss_base <= 0:
        return None, "zero base loss"
    return (loss_masked - loss_base) / loss_base, None


class Scorer:
    """Scores token sequences with a loaded model and a set of heads to mask.

    Defaults by device (None = chosen here):
      batch_tokens: CUDA: what the device's free memory holds (estimated, then probed), at most
        2^18; CPU: 8,192. At least one window. A batch that runs out of memory is split in two
        and retried (and later batches are smaller), never lost.
      pack: CUDA: on (windows packed into rows of `row_length` = max_length + 1 rounded up to 64
        tokens, no padding, attention inside each document only); CPU: off (a CPU row runs at the
        matmul peak already, and a packed row's dense mask costs attention over the whole row).
      attention: the model's kernel; when packing on CUDA, flex attention (block-sparse) if the
        model supports it, else sdpa with a dense block-diagonal mask.
      compile: CUDA: on (each decoder layer torch.compiled; a failure falls back to eager), CPU:
        off. A dict is passed to torch.compile as keyword arguments (e.g. {"mode": "max-autotune"}).
        The setting applies to the model: the last Scorer built on it decides.
      chunk_tokens: LM-head rows at a time: CUDA: sized from free memory (1,024..16,384); CPU: 256.
    """

    def __init__(
        self,
        loaded: LoadedModel,
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
        self.loaded = loaded
        self.model = loaded.model
        self.device = loaded.device
        cuda = self.device.type == "cuda"
        self.tokenizer = loaded.tokenizer
        self.tokenizer.model_max_length = 1 << 40  # windows are ours to cut; silence the warning
        enable_masking(self.model)
        self.heads = validate_heads(self.model, parse_heads(heads).heads)
        self.max_length = min(loaded.max_context, MAX_DEFAULT_LENGTH) if max_length is None else max_length
        if not MIN_LENGTH <= self.max_length <= loaded.max_context:
            raise SettingError(
                "max_length", f"must be in [{MIN_LENGTH}, {loaded.max_context}] (the model's context), got {max_length}"
            )
        for name, value in (("batch_tokens", batch_tokens), ("chunk_tokens", chunk_tokens)):
            if value is not None and value < 1:
                raise SettingError(name, f"must be at least 1, got {value}")
        self.truncate = truncate
        self.pad_id = self.tokenizer.pad_token_id or 0
        self.shared_prefix = shared_prefix
        self.first_layer = first_masked_layer(self.heads)
        self.pack = cuda if pack is None else bool(pack)
        # packed rows hold any window and at least one more token (a row is then always "packed": one mask
        # kind for every batch, so one compiled graph), in multiples of 64 (kernel tiles)
        self.row_length = -(-(self.max_length + 1) // 64) * 64
        # rows of a padded batch are at least min_fill x its longest. On a GPU, padding buys larger matmuls;
        # on a CPU a single row already runs at the matmul peak, so only equal lengths share a batch.
        self.min_fill = 0.8 if cuda else 1.0
        budget = sizing.device_budget(self.device) if cuda else None
        if chunk_tokens is None:
            vocab = self.model.get_output_embeddings().weight.shape[0]
            chunk_tokens = sizing.chunk_tokens_for(budget, vocab) if cuda else sizing.CPU_CHUNK_TOKENS
        self.loss_head = LossHead(self.model, chunk_tokens)
        self.attention = self._choose_attention(attention)
        self.real_tokens = 0  # tokens scored so far
        self.padded_tokens = 0  # rows x row length, summed over batches
        self.busy_seconds = 0.0  # time spent in forward passes and losses (device synced)
        self.fallbacks: list[str] = []  # what failed and was turned off (compilation, flex attention)
        self.compiled = self._compile(cuda if compile is None else compile)
        if self._compiled_shapes:  # a graph per (rows, doubled or not, masked or not): more than dynamo's default 8
            torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        if batch_tokens is None:
            batch_tokens = self._size_from_device(budget) if cuda else sizing.CPU_BATCH_TOKENS
        self.batch_tokens = max(batch_tokens, self.max_length)

    # --- settings -------------------------------------------------------------------------------

    def _choose_attention(self, requested: str | None) -> str:
        """The attention kernel: `requested`, else the model's; when packing, one that keeps packed
        segments apart under the doubled batch (flex or a dense mask; flash's varlen path needs a
        batch of one row), checked on a small packed batch before it is trusted."""
        if requested:
            if self.pack and requested.startswith("flash"):
                raise SettingError("attention", f"{requested} cannot keep packed documents apart; use pack=False")
            use_attention(self.model, requested)
            return requested
        base = base_attention(self.model)
        if not self.pack:
            return base
        candidates = ["flex_attention"] if self.device.type == "cuda" else []
        candidates += [base] if base in ("sdpa", "eager", "flex_attention") else []
        candidates += ["sdpa", "eager"]
        for kernel in dict.fromkeys(candidates):
            try:
                use_attention(self.model, kernel)
                if self._packing_exact():
                    return kernel
            except (ValueError, ImportError, RuntimeError, NotImplementedError):
                continue
        use_attention(self.model, base)
        raise ModelError(
            f"{type(self.model).__name__}: no attention kernel keeps packed documents apart; use pack=False"
        )

    @torch.no_grad()
    def _packing_exact(self) -> bool:
        """Losses of two segments packed in one row equal their losses alone (half precision: 5%)."""
        vocab = self.model.get_output_embeddings().weight.shape[0]
        segments = [[(7 * i + 3) % vocab for i in range(11)], [(5 * i + 1) % vocab for i in range(6)]]
        packed = self._forward(build_batch([segments], self.pad_id, 32, 1))
        alone = torch.cat([self._forward(build_batch([[s]], self.pad_id, None, 1)) for s in segments], dim=1)
        tolerance = 1e-4 if self.loaded.dtype == torch.float32 else 5e-2
        return bool(torch.allclose(packed, alone, rtol=tolerance, atol=tolerance))

    def _compile(self, setting: bool | dict) -> CompiledLayers | None:
        """Compile the decoder layers (or give them their eager forwards back)."""
        current = getattr(self.model, "_attninf_compiled", None)
        if current is not None:
            current.restore("turned off")
            self.model._attninf_compiled = None
        if setting is False or setting is None:
            return None
        options = setting if isinstance(setting, dict) else {}
        self.model._attninf_compiled = CompiledLayers(self.model, options)
        return self.model._attninf_compiled

    def _size_from_device(self, budget: float) -> int:
        """Batch tokens the CUDA device holds: estimated from the shapes, confirmed by a probe."""
        footprint = sizing.footprint(self.model, self.row_length, self.attention, self.loss_head.chunk_tokens)
        tokens = min(sizing.MAX_BATCH_TOKENS, footprint.batch_tokens(budget, self.row_length))
        if self.pack:
            tokens = sizing.rows_per_batch(tokens, self.row_length) * self.row_length
        return sizing.fit_to_budget(tokens, self.row_length, budget, self._probe)

    @torch.no_grad()
    def _probe(self, tokens: int) -> int:
        """Peak CUDA bytes of scoring a batch of `tokens` (rows holding a full window of random tokens)."""
        rows = max(1, tokens // self.row_length)
        vocab = self.model.get_output_embeddings().weight.shape[0]
        generator = torch.Generator().manual_seed(0)
        ids = torch.randint(vocab, (rows, self.max_length), generator=generator).tolist()
        batch = build_batch([[row] for row in ids], self.pad_id, self.row_length if self.pack else None, rows)
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        before = torch.cuda.memory_allocated(self.device)
        self._run_forward(batch)
        torch.cuda.synchronize(self.device)
        return torch.cuda.max_memory_allocated(self.device) - before

    @property
    def padding_fraction(self) -> float:
        """Fraction of the batches' token slots that held padding (or packing filler)."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else 0.0

    # --- scoring --------------------------------------------------------------------------------

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []

    def _forward(self, batch: Batch) -> torch.Tensor:
        """(2, S) float64 summed losses of the batch's segments: base, then masked."""
        batch = batch.to(self.device)
        if not self.shared_prefix or self.first_layer is None:  # two full passes
            base = self.loss_head.segment_losses(batch)
            with mask_heads(self.model, self.heads):
                return torch.cat([base, self.loss_head.segment_losses(batch)])
        rows = batch.ids.shape[0]
        masked_rows = torch.arange(2 * rows, device=self.device) >= rows  # (2R,): base rows, then masked
        with doubled_batch(self.model, self.first_layer, rows), mask_heads(self.model, self.heads, rows=masked_rows):
            return self.loss_head.segment_losses(batch)

    @property
    def _compiled_shapes(self) -> bool:
        """Whether graphs are compiled per shape (our layers, or the flex-attention kernel)."""
        return self.attention == "flex_attention" or (self.compiled is not None and self.compiled.active)

    def _run_forward(self, batch: Batch) -> torch.Tensor:
        """_forward(batch); when it fails for another reason than memory, retried without the
        compiled layers, then on sdpa instead of flex attention (the same scores, slower). A
        fallback that works is kept (with a warning, and in `fallbacks`); when the batch fails
        without them too, the error is the input's or the model's: they are restored, it is raised."""
        try:
            return self._forward(batch)
        except Exception as err:  # noqa: BLE001 - dynamo, inductor and kernels raise many types
            if is_out_of_memory(err):
                raise
            error = err
        steps = []
        if self.compiled is not None and self.compiled.active:
            steps.append(("torch.compile", lambda: self.compiled.restore("failed"), self.compiled.install))
        if self.attention == "flex_attention":
            steps.append(
                ("flex attention", lambda: self._set_attention("sdpa"), lambda: self._set_attention("flex_attention"))
            )
        for done, (name, off, _on) in enumerate(steps):
            off()
            try:
                result = self._forward(batch)
            except Exception as err:  # noqa: BLE001
                if not is_out_of_memory(err) and done + 1 < len(steps):
                    continue
                for _name, _off, on in steps[: done + 1]:
                    on()
                raise
            detail = " ".join(str(error).split())[:200]
            self.fallbacks.append(f"{name} failed ({type(error).__name__}: {detail}); scoring without it")
            warnings.warn(self.fallbacks[-1], stacklevel=2)
            return result
        raise error

    def _set_attention(self, kernel: str) -> None:
        use_attention(self.model, kernel)
        self.attention = kernel

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
        if self.pack and self._compiled_shapes:
            n_rows = 1 << (n_rows - 1).bit_length()  # a power of two: few compiled shapes
        width = self.row_length if self.pack else None
        batch = build_batch([[segments[i] for i in row] for row in rows], self.pad_id, width, n_rows)
        start = time.perf_counter()
        losses = self._run_forward(batch)  # .cpu() inside: synced
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
        width = self.row_length if self.pack else max(len(segments[row[0]]) for row in rows)
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
        segments: list[Sequence[int]] = []
        owner: list[int] = []
        for index, ids in enumerate(docs):
            if len(ids) < 2:
                continue
            windows = [ids[: self.max_length]] if self.truncate else split_windows(ids, self.max_length)
            segments.extend(windows)
            owner.extend([index] * len(windows))
        left = [0] * len(docs)  # segments still to score, per document
        for index in owner:
            left[index] += 1
        unreported = sum(1 for n in left if n == 0)  # nothing to score: done from the start
        lengths = [len(s) for s in segments]
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
