"""Per-domain selection of the top-scoring documents."""

from attention_influence.selection.select import SelectionError, rank_domain, read_scores, select

__all__ = ["SelectionError", "rank_domain", "read_scores", "select"]
