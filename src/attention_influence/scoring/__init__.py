"""The scoring engine: loss with and without the heads, AttentionInfluence per document."""

from attention_influence.scoring.engine import DocScore, Scorer, split_windows

__all__ = ["DocScore", "Scorer", "split_windows"]
