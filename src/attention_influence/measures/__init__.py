"""Text measures stored next to each score: how much of a document can be copied from itself
(repetition, repeated line templates, list-like lines, compressibility). Pure functions of the
text, computed on CPU workers while the model scores."""

from attention_influence.measures.repetition import repetition

__all__ = ["repetition"]
