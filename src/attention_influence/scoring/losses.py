"""Token cross-entropy of a batch without materializing float32 logits for the whole batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F


class LossHead:
    """Computes per-target cross-entropy from the decoder's hidden states, in token chunks.

    The LM head runs only on the rows that predict a real token (padding is skipped) and at
    most `chunk_tokens` rows at a time, so memory is O(chunk_tokens x vocab), not O(B x T x vocab).
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
        self.split = self.decoder is not None and self.head is not None and self._split_matches()

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.head(hidden)
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
        split = self._logits(hidden)
        return full.shape == split.shape and torch.allclose(full.float(), split.float(), atol=1e-3, rtol=1e-3)

    @torch.no_grad()
    def target_losses(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) ids and mask, right-padded -> (B, T-1) cross-entropy of each next token (0 on padding).

        When the model returns k x B rows (see shared_prefix.doubled_batch), the result is
        (k x B, T-1): row r scores the targets of input row r % B."""
        if self.split:
            out = self.decoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            rows = out.last_hidden_state  # (kB, T, D)
            logits_of = self._logits
        else:
            rows = self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits  # (kB, T, V)
            logits_of = None
        copies = rows.shape[0] // input_ids.shape[0]
        input_ids, attention_mask = input_ids.repeat(copies, 1), attention_mask.repeat(copies, 1)  # (kB, T)
        valid = (attention_mask[:, 1:] & attention_mask[:, :-1]).bool()  # (kB, T-1)
        targets = input_ids[:, 1:][valid]  # (N,)
        rows = rows[:, :-1][valid]  # (N, D) or (N, V)
        ce = torch.empty(targets.shape[0], dtype=torch.float32, device=targets.device)
        for start in range(0, targets.shape[0], self.chunk_tokens):
            stop = start + self.chunk_tokens
            logits = logits_of(rows[start:stop]) if logits_of else rows[start:stop]  # (n, V)
            ce[start:stop] = F.cross_entropy(logits.float(), targets[start:stop], reduction="none")
        out = torch.zeros(valid.shape, dtype=torch.float32, device=targets.device)
        out[valid] = ce
        return out
