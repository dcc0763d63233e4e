"""The scoring engine: loss with and without the heads, AttentionInfluence per document."""

from attention_influence.scoring.engine import DocScore, Scorer, split_windows
from attention_influence.scoring.prepared import PreparedModel, prepare

__all__ = ["DocScore", "PreparedModel", "Scorer", "prepare", "split_windows"]
