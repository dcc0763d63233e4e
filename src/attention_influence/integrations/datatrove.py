"""datatrove pipeline steps (extra `attention-influence[datatrove]`): a step that adds the
AttentionInfluence score and both losses to each Document's metadata, and a filter that keeps
documents at or above a score threshold.

    pipeline = [JsonlReader("data/"), AttentionInfluenceScorer(heads="heads.json"),
                AttentionInfluenceFilter(threshold=0.05), JsonlWriter("kept/")]

The model loads lazily on the first batch of each task, so steps pickle and copy cheaply.
"""

from __future__ import annotations

try:
    from datatrove.data import DocumentsPipeline
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.utils.batching import batched
except ImportError as err:  # exercised only without the extra
    from attention_influence.errors import MissingExtraError

    raise MissingExtraError(
        "attention_influence.integrations.datatrove needs datatrove: pip install 'attention-influence[datatrove]'"
    ) from err

from attention_influence.heads import parse_heads

PREFIX = "attninf_"  # metadata keys: attninf_score, attninf_loss_base, attninf_loss_masked, attninf_n_tokens


class AttentionInfluenceScorer(PipelineStep):
    """Adds attninf_score, attninf_loss_base, attninf_loss_masked and attninf_n_tokens to
    `doc.metadata` (None, with attninf_reason, when a document has no score)."""

    name = "AttentionInfluence"
    type = "🎯 - SCORER"

    def __init__(
        self,
        heads: str | list,
        model: str | None = None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_length: int | None = None,
        truncate: bool = False,
        batch_tokens: int = 8192,
        batch_docs: int = 64,
    ):
        super().__init__()
        self.heads = [list(h) for h in parse_heads(heads).heads]  # checked now, by value from here on
        self.model, self.device, self.dtype = model, device, dtype
        self.options = dict(max_length=max_length, truncate=truncate, batch_tokens=batch_tokens)
        self.batch_docs = batch_docs
        self._scorer = None
        self.rank = 0

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_scorer": None}  # never ship the model

    def scorer(self):
        if self._scorer is None:
            from attention_influence.models import load_model
            from attention_influence.pipeline.datatrove import local_device
            from attention_influence.scoring import Scorer

            loaded = load_model(self.model, device=local_device(self.rank, self.device), dtype=self.dtype)
            self._scorer = Scorer(loaded, self.heads, **self.options)
        return self._scorer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from attention_influence.scoring.isolate import score_isolated

        self.rank = rank
        for batch in batched(data, self.batch_docs):
            with self.track_time(unit="batch"):
                results = score_isolated(self.scorer(), [doc.text for doc in batch])  # a bad document costs itself
            for doc, result in zip(batch, results, strict=True):
                doc.metadata[PREFIX + "score"] = result.score
                doc.metadata[PREFIX + "loss_base"] = result.loss_base
                doc.metadata[PREFIX + "loss_masked"] = result.loss_masked
                doc.metadata[PREFIX + "n_tokens"] = result.n_tokens
                if result.reason:
                    doc.metadata[PREFIX + "reason"] = result.reason
                self.stat_update("scored" if result.score is not None else "unscored")
                yield doc


class AttentionInfluenceFilter(BaseFilter):
    """Keeps documents whose metadata score is >= `threshold`; drops unscored ones."""

    name = "AttentionInfluence filter"

    def __init__(self, threshold: float, key: str = PREFIX + "score", exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.threshold, self.key = threshold, key

    def filter(self, doc) -> bool | tuple[bool, str]:
        score = doc.metadata.get(self.key)
        if score is None:
            return False, "no_score"
        return True if score >= self.threshold else (False, "below_threshold")
