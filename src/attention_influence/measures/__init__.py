"""Text measures stored next to each score: how much of a document can be copied from itself
(repetition, repeated line templates, list-like lines, label: value lines, all three together,
digits, sentence structure, compressibility).
Pure functions of the text, computed on CPU workers while the model scores."""

from __future__ import annotations

from attention_influence.measures.repetition import repeated_sentences, repetition
from attention_influence.measures.structure import (
    compression_ratio,
    digit_share,
    field_text,
    function_words,
    list_text,
    structure_shares,
    structured_text,
    templated_text,
)

# Names of the measures, in the order they are stored (float64 Parquet columns next to the score).
MEASURE_COLUMNS: tuple[str, ...] = (
    "repetition",
    "repeated_sentences",
    "templated_text",
    "list_text",
    "field_text",
    "structured_text",
    "digit_share",
    "function_words",
    "compression_ratio",
)


def text_measures(text: str) -> dict[str, float]:
    """Every measure of one document, keyed by MEASURE_COLUMNS (in that order)."""
    shares = structure_shares(text)  # templated, list, field and structured text: the lines read once
    return {
        "repetition": repetition(text),
        "repeated_sentences": repeated_sentences(text),
        "templated_text": shares["templated_text"],
        "list_text": shares["list_text"],
        "field_text": shares["field_text"],
        "structured_text": shares["structured_text"],
        "digit_share": digit_share(text),
        "function_words": function_words(text),
        "compression_ratio": compression_ratio(text),
    }


__all__ = [
    "MEASURE_COLUMNS",
    "compression_ratio",
    "digit_share",
    "field_text",
    "function_words",
    "list_text",
    "repeated_sentences",
    "repetition",
    "structure_shares",
    "structured_text",
    "templated_text",
    "text_measures",
]
