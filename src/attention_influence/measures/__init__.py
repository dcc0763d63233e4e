"""Text measures stored next to each score: how much of a document can be copied from itself
(repetition, repeated line templates, list-like lines, compressibility). Pure functions of the
text, computed on CPU workers while the model scores."""

from __future__ import annotations

from attention_influence.measures.repetition import repetition

MEASURE_COLUMNS: tuple[str, ...] = ("repetition",)  # float64 columns of every score row, in this order


def text_measures(text: str) -> dict[str, float]:
    """Every measure of `text`, keyed by MEASURE_COLUMNS."""
    return {"repetition": repetition(text)}


__all__ = ["MEASURE_COLUMNS", "repetition", "text_measures"]
