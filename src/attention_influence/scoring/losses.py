"""Summed token cross-entropy per segment, without float32 logits for the whole batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from attention_influence.scoring.packing import Batch


class LossHead:
    """Runs the decoder, then the LM head and the loss in float32, `chunk_tokens` rows at a time.

    The LM head runs only on the positions that predict a token of a segment (never on padding or
    filler). Logits are computed in float32 (a bfloat16 head on CUDA writes its float32 accumulator
    directly, `torch.mm(..., out_dtype=float32)`), and so are the log-softmax and the loss, so a
    bfloat16 model loses precision only in its hidden states. Memory: O(chunk_tokens x vocab).
    Falls back to the model's own logits when the decoder + head split does not reproduce them
    (an architecture with extra logit processing that is not handled here).
    """

    def __init__(self, model: torch.nn.Module, chunk_tokens: int = 1024):
        self.model = model
        self.chunk_tokens = chunk_tokens
        self.decoder = model.base_model if model.base_model is not model else None
        self.head = model.get_output_embeddings()
        config = model.config.get_text_config()
        self.softcap = getattr(config, "final_logit_softcapping", None)
        self.logit_scale = getattr(model, "logit_scale", None)
        if isinstance(self.logit_scale, torch.nn.Module):
            self.logit_scale = None
        weight = getattr(self.head, "weight", None)
        self.fp32_out = (  # the head's matmul can write float32 (CUDA, half-precision weights)
            isinstance(self.head, torch.nn.Linear)
            and weight.device.type == "cuda"
            and weight.dtype in (torch.bfloat16, torch.float16)
        )
        self.split = self.decoder is not None and self.head is not None and self._split_matches()

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(n, D) final hidden states -> (n, V) float32 logits."""
        if self.fp32_out:
            try:
                logits = torch.mm(hidden, self.head.weight.t(), out_dtype=torch.float32)
                if self.head.bias is not None:
                    logits = logits + self.head.bias.float()
            except (RuntimeError, TypeError, NotImplementedError):  # no float32-output matmul in this torch
                self.fp32_out = False
                logits = self.head(hidden).float()
        else:
            logits = self.head(hidden).float()
        if self.logit_scale is not None:
            logits = logits * self.logit_scale
        if self.softcap is not None:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    @torch.no_grad()
    def _split_matches(self) -> bool:
        device = self.head.weight.device
        vocab = self.head.weight.shape[0]
        ids = (torch.arange(5, 13, device=device) % vocab)[None]  # (1, 8)
        full = self.model(input_ids=ids, use_cache=False).logits
        hidden = self.decoder(input_ids=ids, use_cache=False).last_hidden_state
        split = self._logits(hidden[0])[None]
        tolerance = 1e-3 if full.dtype == torch.float32 else 3e-2  # float32 logits vs the model's rounded ones
        return full.shape == split.shape and torch.allclose(full.float(), split, atol=tolerance, rtol=tolerance)

    def _rows(self, **inputs) -> torch.Tensor:
        """(kR, T, D) final hidden states, or (kR, T, V) logits when the head is not split off."""
        if self.split:
            return self.decoder(**inputs, use_cache=False).last_hidden_state
        return self.model(**inputs, use_cache=False).logits

    def _losses(self, rows: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """(n, D|V) rows and (n,) targets -> (n,) float32 cross-entropy."""
        logits = self._logits(rows) if self.split else rows.float()  # (n, V) float32
        return F.cross_entropy(logits, target, reduction="none")

    @torch.no_grad()
    def segment_losses(self, batch: Batch) -> torch.Tensor:
        """Forward `batch` -> (k, n_segments) float64 summed cross-entropy of each segment's tokens.

        k is 1, or 2 inside shared_prefix.doubled_batch (the model returns k x R rows: row
        c x R + r continues input row r)."""
        if batch.position_ids is not None:
            rows = self._rows(input_ids=batch.ids, position_ids=batch.position_ids)  # (kR, T, D|V)
        else:
            rows = self._rows(input_ids=batch.ids, attention_mask=batch.attention_mask)
        copies = rows.shape[0] // batch.ids.shape[0]
        rows = rows.view(copies, -1, rows.shape[-1])  # (k, R*T, D|V)
        sums = torch.zeros(copies, batch.n_segments, dtype=torch.float64, device=rows.device)  # (k, S)
        step = max(1, self.chunk_tokens // copies)
        for start in range(0, batch.source.shape[0], step):
            source = batch.source[start : start + step]  # (n,)
            target = batch.target[start : start + step].repeat(copies)  # (k n,)
            ce = self._losses(rows[:, source].flatten(0, 1), target).view(copies, -1)  # (k, n)
            sums.index_add_(1, batch.segment[start : start + step], ce.double())
        return sums.cpu()

    @torch.no_grad()
    def target_losses(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) ids and mask, right-padded -> (kB, T-1) float32 cross-entropy of each next token
        (0 on padding), k as in segment_losses: row r scores the targets of input row r % B."""
        rows = self._rows(input_ids=input_ids, attention_mask=attention_mask)  # (kB, T, D|V)
        copies = rows.shape[0] // input_ids.shape[0]
        input_ids, attention_mask = input_ids.repeat(copies, 1), attention_mask.repeat(copies, 1)  # (kB, T)
        valid = (attention_mask[:, 1:] & attention_mask[:, :-1]).bool()  # (kB, T-1)
        chosen, target = rows[:, :-1][valid], input_ids[:, 1:][valid]  # (N, D|V), (N,)
        ce = torch.cat(
            [
                self._losses(chosen[i : i + self.chunk_tokens], target[i : i + self.chunk_tokens])
                for i in range(0, target.shape[0], self.chunk_tokens)
            ]
        )
        out = torch.zeros(valid.shape, dtype=torch.float32, device=rows.device)
        out[valid] = ce
        return out
