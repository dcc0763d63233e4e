"""The scoring engine: loss with and without the heads, AttentionInfluence per document."""

from attention_influence.scoring.corpus import ScoreSummary, score_corpus
from attention_influence.scoring.engine import DocScore, Scorer, split_windows

__all__ = ["DocScore", "ScoreSummary", "Scorer", "score_corpus", "split_windows"]
