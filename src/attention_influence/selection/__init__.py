"""Per-domain selection of the top-scoring documents of a complete run, behind the guard."""

from attention_influence.selection.select import guard_of, select, selected_mask

__all__ = ["guard_of", "select", "selected_mask"]
