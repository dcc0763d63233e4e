"""Per-domain selection of the top-scoring documents of a complete run."""

from attention_influence.selection.select import rank_domain, select, selected_mask

__all__ = ["rank_domain", "select", "selected_mask"]
