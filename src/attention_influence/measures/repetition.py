"""How repetitive a document is, measured next to its score (METHOD.md section 6: copying from
context is exactly what retrieval heads do, so repeated text inflates AttentionInfluence).

`repetition` follows Gopher's "duplicate n-gram character fraction" (Rae et al. 2021, Table A1):
for each n in 5..10, the fraction of the document's word characters that lie inside a *later*
occurrence of a word n-gram seen earlier in the document. The first occurrence is not counted,
so a passage written twice scores about 0.5, three times about 0.67. `repetition` is the mean
of the six fractions: a long exact repeat counts at every n, a short formulaic one only at small n.

`repeated_sentences` sees text that repeats with its names and numbers changed (keyword-stuffed
pages, FAQ and listing pages, song choruses): the share of the text in sentences whose frame (the
sentence with its numbers and its capitalised words abstracted) came before.
"""

from __future__ import annotations

import re

import numpy as np

from attention_influence.measures.structure import words

NGRAM_SIZES = tuple(range(5, 11))


def duplicate_ngram_fraction(words: list[str], n: int) -> float:
    """Fraction of the characters of `words` covered by repeated (not first) occurrences of word n-grams."""
    total = sum(len(w) for w in words)
    if total == 0 or len(words) < 2 * n:
        return 0.0
    covered = np.zeros(len(words), dtype=bool)
    seen: set[tuple[str, ...]] = set()
    for start in range(len(words) - n + 1):
        gram = tuple(words[start : start + n])
        if gram in seen:
            covered[start : start + n] = True
        else:
            seen.add(gram)
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    return float(lengths[covered].sum() / total)


def repetition(text: str, sizes: tuple[int, ...] = NGRAM_SIZES) -> float:
    """Mean over n in `sizes` of the duplicate word n-gram character fraction, in [0, 1)."""
    words = text.split()
    return float(np.mean([duplicate_ngram_fraction(words, n) for n in sizes]))


_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")  # a sentence, or a line that ends without one
_FRAME_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
FRAME_MIN_WORDS = 3  # a shorter sentence ("Yes.", "See below.") repeats in any text


def sentence_frame(sentence: str) -> str:
    """The sentence with its numbers as "0" and its capitalised words (names, a sentence's first
    word) as "X": "Need a plumber in Austin?" -> "X a plumber in X"."""
    tokens = _FRAME_NUMBER.sub("0", sentence.strip()).split()
    return " ".join("X" if token[:1].isupper() else token for token in tokens)


def repeated_sentences(text: str) -> float:
    """Share of the text (the characters of its sentences) in sentences of FRAME_MIN_WORDS words or
    more whose `sentence_frame` came before, in [0, 1): the first occurrence is not counted. A
    line without a sentence end counts as one sentence. Near 0 for prose, code and worked
    solutions; 0.5-0.9 for pages that repeat one sentence with other names or numbers."""
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    total = sum(map(len, sentences))
    seen: set[str] = set()
    repeated = 0
    for sentence in sentences:
        frame = sentence_frame(sentence)
        if frame in seen and words(sentence) >= FRAME_MIN_WORDS:
            repeated += len(sentence)
        seen.add(frame)
    return repeated / total if total else 0.0
