"""Score a chunk so that one document that breaks the tokenizer or the model (an exception, out
of memory) costs only that document: on failure, retry the documents one by one. When every
document fails alone, the model or device is broken: that error is raised."""

from __future__ import annotations

import math
from collections.abc import Sequence

from attention_influence.scoring.engine import DocScore, Scorer


def failure(err: BaseException) -> str:
    """The reason a document that broke the tokenizer or the model gets: its error, one line."""
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    return f"scoring failed ({type(err).__name__}: {detail})"


def failed(reason: str) -> DocScore:
    """No score, and why."""
    return DocScore(0, 0, None, None, None, reason)


def _checked(result: DocScore) -> DocScore:
    """No non-finite number is ever reported as a score."""
    values = (result.score, result.loss_base, result.loss_masked)
    if result.score is not None and not all(v is not None and math.isfinite(v) for v in values):
        return DocScore(result.n_tokens, result.n_predicted, None, None, None, "non-finite loss", result.truncated)
    return result


def score_isolated(
    scorer: Scorer, texts: Sequence[str] | None, tokens: Sequence[list[int]] | None = None
) -> list[DocScore]:
    """scorer.score_texts(texts), but a failing document gets a reason instead of an exception.

    `tokens`: the texts already tokenized (by a prefetch thread or a Ray worker); then `texts`
    may be None."""
    count = len(tokens) if tokens is not None else len(texts or [])
    if not count:
        return []
    try:
        results = scorer.score_token_lists(tokens) if tokens is not None else scorer.score_texts(texts)
        return [_checked(r) for r in results]
    except (RuntimeError, ValueError, TypeError, MemoryError) as err:  # torch OOM is a RuntimeError
        if count == 1:
            return [failed(failure(err))]
    results, first_error = [], None
    for i in range(count):
        try:
            one = scorer.score_token_lists([tokens[i]]) if tokens is not None else scorer.score_texts([texts[i]])
            results.extend(_checked(r) for r in one)
        except (RuntimeError, ValueError, TypeError, MemoryError) as err:
            first_error = first_error or err
            results.append(failed(failure(err)))
    if all(r.reason and r.reason.startswith("scoring failed") for r in results):
        raise first_error  # every document fails alone: the model or device is broken, not the data
    return results
