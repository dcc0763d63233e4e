"""A loaded model made ready for scoring, once: the one owner of the state scoring puts on a model.

Scoring needs, on the model itself: its attention routed through the masking function, an
attention kernel that keeps packed documents apart (when packing), its decoder layers compiled or
eager, and the loss head (the decoder and the LM head apart, float32 logits in chunks). `prepare`
does all of it and records the result on the LoadedModel (`loaded.prepared`):

    prepared = prepare(loaded)                 # the device's defaults, or the current preparation
    prepared = prepare(loaded, pack=True)      # other settings: prepared again, the earlier one retired

Every Scorer built on the model uses its PreparedModel: a second Scorer (the report's random-heads
control, the explain pages, the plan's probe) changes nothing on the model unless it asks for other
settings, and then the earlier PreparedModel is retired: its Scorers refuse to run rather than
score with settings they were not built with. Fallbacks (compilation or flex attention failing on
a batch) are made here too, and listed in `fallbacks`.

Defaults by device (None = chosen here):
  pack: CUDA on (documents packed into rows, no padding, attention inside each document only);
    CPU off (a CPU row runs at the matmul peak already; a packed row's dense mask costs attention
    over the whole row).
  attention: the model's kernel; when packing on CUDA, flex attention (block-sparse) if the model
    supports it, else sdpa with a dense block-diagonal mask (checked on a packed batch first).
  compile: CUDA on (each decoder layer torch.compiled; a failure falls back to eager); CPU off. A
    dict is passed to torch.compile as keyword arguments (e.g. {"mode": "max-autotune"}).
  chunk_tokens: LM-head rows at a time: CUDA sized from free memory (1,024..16,384); CPU 256.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from attention_influence.errors import InternalError, ModelError, SettingError
from attention_influence.masking import enable_masking, mask_heads
from attention_influence.masking.attention import base_attention, use_attention
from attention_influence.models import LoadedModel
from attention_influence.scoring import sizing
from attention_influence.scoring.compile import CompiledLayers, allow_graphs_per_shape, is_out_of_memory
from attention_influence.scoring.losses import LossHead
from attention_influence.scoring.packing import Batch, build_batch
from attention_influence.scoring.shared_prefix import doubled_batch


def _compile_key(setting: bool | dict) -> bool | tuple:
    return tuple(sorted(setting.items())) if isinstance(setting, dict) else bool(setting)


class PreparedModel:
    """The model of `loaded`, prepared for scoring with these settings (see the module's docstring)."""

    def __init__(
        self,
        loaded: LoadedModel,
        pack: bool | None = None,
        compile: bool | dict | None = None,
        attention: str | None = None,
        chunk_tokens: int | None = None,
    ):
        cuda = loaded.device.type == "cuda"
        if chunk_tokens is not None and (isinstance(chunk_tokens, bool) or chunk_tokens < 1):
            raise SettingError("chunk_tokens", f"must be at least 1, got {chunk_tokens}")
        self.loaded = loaded
        self.model = loaded.model
        self.device = loaded.device
        self.retired = False
        self.fallbacks: list[str] = []  # what failed and was turned off (compilation, flex attention)
        self.sized: dict[int, int] = {}  # row length -> batch tokens that fit the device (CUDA)
        enable_masking(self.model)
        self.pack = cuda if pack is None else bool(pack)
        self.budget = sizing.device_budget(self.device) if cuda else None
        self.vocab = self.model.get_output_embeddings().weight.shape[0]
        if chunk_tokens is None:
            chunk_tokens = sizing.chunk_tokens_for(self.budget, self.vocab) if cuda else sizing.CPU_CHUNK_TOKENS
        self.loss_head = LossHead(self.model, chunk_tokens)
        self.pad_id = loaded.tokenizer.pad_token_id or 0
        self.original_attention = base_attention(self.model)  # given back when retired
        self.attention = self._choose_attention(attention)
        compile = cuda if compile is None else compile
        self.compiled = CompiledLayers(self.model, compile if isinstance(compile, dict) else {}) if compile else None
        if self.compiled_shapes:
            allow_graphs_per_shape()
        self.key = (self.pack, _compile_key(compile), attention, chunk_tokens)

    # --- the preparation ----------------------------------------------------------------------

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
        """Both losses of two segments packed in one row equal their losses alone, through the
        shared-prefix pass with a head of the last layer masked (half precision: 5%)."""
        segments = [[(7 * i + 3) % self.vocab for i in range(11)], [(5 * i + 1) % self.vocab for i in range(6)]]
        heads = [(len(enable_masking(self.model)) - 1, 0)]

        def losses(batch: Batch) -> torch.Tensor:
            rows = batch.ids.shape[0]
            masked = torch.arange(2 * rows, device=self.device) >= rows
            with doubled_batch(self.model, heads[0][0], rows), mask_heads(self.model, heads, rows=masked):
                return self.loss_head.segment_losses(batch.to(self.device))

        packed = losses(build_batch([segments], self.pad_id, 32, 1))
        alone = torch.cat([losses(build_batch([[s]], self.pad_id, None, 1)) for s in segments], dim=1)
        tolerance = 1e-4 if self.loaded.dtype == torch.float32 else 5e-2
        return bool(torch.allclose(packed, alone, rtol=tolerance, atol=tolerance))

    def retire(self) -> None:
        """The model was prepared again with other settings: this preparation no longer holds."""
        if self.compiled is not None:
            self.compiled.restore("prepared again")
        use_attention(self.model, self.original_attention)
        self.retired = True

    def check_active(self) -> None:
        if self.retired:
            raise InternalError(
                f"{self.loaded.name} was prepared again with other settings since this Scorer was built: "
                "build the Scorer again"
            )

    # --- running batches ------------------------------------------------------------------------

    @property
    def compiled_shapes(self) -> bool:
        """Whether graphs are compiled per shape (our layers, or the flex-attention kernel)."""
        return self.attention == "flex_attention" or (self.compiled is not None and self.compiled.active)

    def _set_attention(self, kernel: str) -> None:
        use_attention(self.model, kernel)
        self.attention = kernel

    def run(self, forward: Callable[[Batch], torch.Tensor], batch: Batch) -> torch.Tensor:
        """forward(batch); when it fails for another reason than memory, retried without the
        compiled layers, then on sdpa instead of flex attention (the same scores, slower). A
        fallback that works is kept (with a warning, and in `fallbacks`); when the batch fails
        without them too, the error is the input's or the model's: they are restored, it is raised."""
        self.check_active()
        try:
            return forward(batch)
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
                result = forward(batch)
            except Exception as err:  # noqa: BLE001
                if not is_out_of_memory(err) and done + 1 < len(steps):
                    continue
                for _name, _off, on in steps[: done + 1]:
                    on()
                raise
            detail = " ".join(str(error).split())[:200]
            self.fallbacks.append(f"{name} failed ({type(error).__name__}: {detail}); scoring without it")
            warnings.warn(self.fallbacks[-1], stacklevel=3)
            return result
        raise error


def prepare(
    loaded: LoadedModel,
    pack: bool | None = None,
    compile: bool | dict | None = None,
    attention: str | None = None,
    chunk_tokens: int | None = None,
) -> PreparedModel:
    """`loaded`'s PreparedModel: the current one when no setting is given or the settings are its
    own, else the model prepared again (the current one retired)."""
    current = loaded.prepared
    asked = (pack, compile, attention, chunk_tokens)
    if isinstance(current, PreparedModel) and not current.retired:
        if all(value is None for value in asked):
            return current
        cuda = loaded.device.type == "cuda"
        wanted = (
            cuda if pack is None else bool(pack),
            _compile_key(cuda if compile is None else compile),
            attention,
            current.key[3] if chunk_tokens is None else chunk_tokens,
        )
        if wanted == current.key:
            return current
        current.retire()
    loaded.prepared = PreparedModel(loaded, pack, compile, attention, chunk_tokens)
    return loaded.prepared
