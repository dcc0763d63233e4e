"""Exact per-domain thresholds over the score files of every shard, reading only score columns,
in memory proportional to the number of scores (16 bytes a score), then the selected rows.

Two passes over DIR/scores/: (1) score and token count of every scored row -> per domain the
lowest selected score t; (2) rows with score >= t; ties at t are broken by id, exactly as
`rank_domain` does (best score first, then id)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SELECTED_COLUMNS = ["id", "domain", "source", "row", "n_tokens", "score", "loss_base", "loss_masked"]


@dataclass
class DomainCut:
    """Where one domain is cut: every row above `threshold` is kept, rows at it by id order."""

    domain: str
    documents: int
    tokens: int
    threshold: float | None  # lowest selected score; None: nothing selected
    above: int = 0  # rows with score > threshold
    above_tokens: int = 0
    keep: int = 0  # by docs: rows to keep in all
    budget: float = 0.0  # by tokens: tokens to keep (fraction x tokens)


def _read(path: str, columns: Sequence[str]) -> pa.Table:
    with fsspec.open(path, "rb") as f:
        table = pq.read_table(f, columns=list(columns))
    return table.filter(pc.is_valid(table["score"]))


def _by_domain(table: pa.Table) -> dict[str, np.ndarray]:
    """Row indices of each domain of a table."""
    domain = pc.dictionary_encode(table["domain"]).combine_chunks()
    codes = domain.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(domain.dictionary) + 1))
    return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(domain.dictionary.to_pylist())}


def _cut(domain: str, scores: np.ndarray, tokens: np.ndarray, fraction: float, by: str) -> DomainCut:
    n, total = len(scores), int(tokens.sum())
    if by == "docs":
        keep = math.ceil(fraction * n - 1e-9)
        threshold = float(np.partition(scores, n - keep)[n - keep]) if keep else None
    else:
        order = np.argsort(-scores, kind="stable")  # (n,)
        before = np.cumsum(tokens[order]) - tokens[order]  # tokens kept before each row
        keep = int(np.count_nonzero(before < fraction * total - 1e-9))
        threshold = float(scores[order[keep - 1]]) if keep else None
        del order, before
    cut = DomainCut(domain, n, total, threshold, keep=keep, budget=fraction * total)
    if threshold is not None:
        above = scores > threshold
        cut.above, cut.above_tokens = int(above.sum()), int(tokens[above].sum())
    return cut


def domain_cuts(files: Sequence[str], fraction: float, by: str) -> dict[str, DomainCut]:
    """Pass 1: per domain, the threshold that keeps the top `fraction` (of documents or tokens)."""
    scores: dict[str, list[np.ndarray]] = {}
    tokens: dict[str, list[np.ndarray]] = {}
    for path in files:
        table = _read(path, ["domain", "score", "n_tokens"])
        all_scores, all_tokens = table["score"].to_numpy(), table["n_tokens"].to_numpy()
        for domain, rows in _by_domain(table).items():
            scores.setdefault(domain, []).append(all_scores[rows])
            tokens.setdefault(domain, []).append(all_tokens[rows])
    cuts = {}
    for domain in sorted(scores):
        domain_scores, domain_tokens = np.concatenate(scores.pop(domain)), np.concatenate(tokens.pop(domain))
        cuts[domain] = _cut(domain, domain_scores, domain_tokens, fraction, by)
    return cuts


def _resolve_ties(tied: pa.Table, cut: DomainCut, by: str) -> pa.Table:
    """The rows at the threshold that are kept: by id, up to the count or token budget."""
    tied = tied.take(pc.sort_indices(tied, [("id", "ascending")]))
    if by == "docs":
        return tied.slice(0, cut.keep - cut.above)
    tokens = tied["n_tokens"].to_numpy()
    before = cut.above_tokens + np.cumsum(tokens) - tokens
    return tied.slice(0, int(np.count_nonzero(before < cut.budget - 1e-9)))


def selected_rows(files: Sequence[str], cuts: dict[str, DomainCut], by: str) -> pa.Table:
    """Pass 2: the selected rows (SELECTED_COLUMNS) of every domain."""
    above, tied = [], {}
    for path in files:
        table = _read(path, SELECTED_COLUMNS)
        for domain, rows in _by_domain(table).items():
            cut = cuts[domain]
            if cut.threshold is None:
                continue
            sub = table.take(pa.array(rows, type=pa.int64()))
            score = sub["score"]
            above.append(sub.filter(pc.greater(score, cut.threshold)))
            tied.setdefault(domain, []).append(sub.filter(pc.equal(score, cut.threshold)))
    kept = above + [_resolve_ties(pa.concat_tables(t), cuts[d], by) for d, t in sorted(tied.items())]
    if not kept:
        return pa.table({name: [] for name in SELECTED_COLUMNS})
    return pa.concat_tables([t.select(SELECTED_COLUMNS) for t in kept])
