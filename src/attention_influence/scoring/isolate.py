"""Score a chunk so that one document that breaks the tokenizer or the model (an exception, out
of memory) costs only that document: on failure, retry the documents one by one. When every
document fails alone, the model or device is broken: that error is raised."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

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
    scorer: Scorer,
    texts: Sequence[str] | None,
    tokens: Sequence[list[int]] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[DocScore]:
    """scorer.score_texts(texts), but a failing document gets a reason instead of an exception.

    `tokens`: the texts already tokenized (by a prefetch thread or a Ray worker); then `texts`
    may be None. `on_batch(documents, tokens)`: progress, as Scorer.score_token_lists reports it;
    after a failure, what the one-by-one retry adds is reported once at its end (the totals stay right)."""
    count = len(tokens) if tokens is not None else len(texts or [])
    if not count:
        return []
    reported = [0, 0]

    def progress(documents: int, n_tokens: int) -> None:
        reported[0] += documents
        reported[1] += n_tokens
        if on_batch is not None:
            on_batch(documents, n_tokens)

    try:
        if tokens is not None:
            results = scorer.score_token_lists(tokens, on_batch=progress)
        else:
            results = scorer.score_texts(texts, on_batch=progress)
        return [_checked(r) for r in results]
    except (RuntimeError, ValueError, TypeError, MemoryError) as err:  # torch OOM is a RuntimeError
        if count == 1:
            if on_batch is not None:
                on_batch(1 - reported[0], 0)
            return [failed(failure(err))]
    results, first_error, fed = [], None, 0
    for i in range(count):
        try:
            one = scorer.score_token_lists([tokens[i]]) if tokens is not None else scorer.score_texts([texts[i]])
            results.extend(_checked(r) for r in one)
            fed += one[0].n_tokens if one[0].n_predicted else 0
        except (RuntimeError, ValueError, TypeError, MemoryError) as err:
            first_error = first_error or err
            results.append(failed(failure(err)))
    if all(r.reason and r.reason.startswith("scoring failed") for r in results):
        raise first_error  # every document fails alone: the model or device is broken, not the data
    if on_batch is not None:
        on_batch(count - reported[0], max(0, fed - reported[1]))
    return results
