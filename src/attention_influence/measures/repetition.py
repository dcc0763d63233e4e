"""How repetitive a document is, measured next to its score (METHOD.md section 6: copying from
context is exactly what retrieval heads do, so repeated text inflates AttentionInfluence).

The measure follows Gopher's "duplicate n-gram character fraction" (Rae et al. 2021, Table A1):
for each n in 5..10, the fraction of the document's word characters that lie inside a *later*
occurrence of a word n-gram seen earlier in the document. The first occurrence is not counted,
so a passage written twice scores about 0.5, three times about 0.67. `repetition` is the mean
of the six fractions: a long exact repeat counts at every n, a short formulaic one only at small n.
"""

from __future__ import annotations

import numpy as np

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
