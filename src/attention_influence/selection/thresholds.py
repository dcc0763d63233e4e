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

SELECTED_COLUMNS = ["id", "domain", "source", "row", "n_tokens", "score", "loss_base", "loss_masked", "text_hash"]


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
    mean_score: float | None = None  # over every scored row of the domain
    mean_repetition: float | None = None  # None when the scores have no repetition column
    too_repetitive: int = 0  # excluded by max_repetition before ranking


def _eligible(table: pa.Table, max_repetition: float | None) -> pa.Table:
    """Rows that may be ranked: repetition at most `max_repetition` (unknown repetition passes)."""
    if max_repetition is None:
        return table
    return table.filter(pc.fill_null(pc.less_equal(table["repetition"], max_repetition), True))


def has_column(files: Sequence[str], name: str) -> bool:
    """Whether every score file has the column `name`."""
    for path in files:
        with fsspec.open(path, "rb") as f:
            if name not in pq.read_schema(f).names:
                return False
    return True


def _read(path: str, columns: Sequence[str]) -> pa.Table:
    with fsspec.open(path, "rb") as f:
        names = pq.read_schema(f).names
        f.seek(0)
        table = pq.read_table(f, columns=[c for c in columns if c in names])
    return table.filter(pc.and_kleene(pc.is_valid(table["score"]), pc.is_finite(table["score"])))


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


def domain_cuts(
    files: Sequence[str], fraction: float, by: str, max_repetition: float | None = None
) -> dict[str, DomainCut]:
    """Pass 1: per domain, the threshold that keeps the top `fraction` (of documents or tokens)
    of the rows eligible under `max_repetition`; documents and tokens count every scored row."""
    scores: dict[str, list[np.ndarray]] = {}
    tokens: dict[str, list[np.ndarray]] = {}
    stats: dict[str, np.ndarray] = {}  # documents, tokens, score sum, repetition sum, repetition count
    with_repetition = has_column(files, "repetition")
    for path in files:
        table = _read(path, ["domain", "score", "n_tokens", "repetition"])
        repeated = table["repetition"] if with_repetition else pa.nulls(table.num_rows, pa.float64())
        for domain, rows in _by_domain(table).items():
            sub = table.take(pa.array(rows, type=pa.int64()))
            rep = repeated.take(pa.array(rows, type=pa.int64()))
            stat = stats.setdefault(domain, np.zeros(5))
            stat += [
                sub.num_rows,
                pc.sum(sub["n_tokens"]).as_py() or 0,
                pc.sum(sub["score"]).as_py() or 0.0,
                pc.sum(rep).as_py() or 0.0,
                pc.count(rep).as_py(),
            ]
            sub = _eligible(
                sub.append_column("repetition", rep) if "repetition" not in sub.column_names else sub, max_repetition
            )
            scores.setdefault(domain, []).append(sub["score"].to_numpy())
            tokens.setdefault(domain, []).append(sub["n_tokens"].to_numpy())
    cuts = {}
    for domain in sorted(scores):
        domain_scores, domain_tokens = np.concatenate(scores.pop(domain)), np.concatenate(tokens.pop(domain))
        cut = _cut(domain, domain_scores, domain_tokens, fraction, by)
        documents, total, score_sum, rep_sum, rep_count = stats[domain]
        cut.documents, cut.tokens = int(documents), int(total)
        cut.mean_score = score_sum / documents if documents else None
        cut.mean_repetition = rep_sum / rep_count if rep_count else None
        cut.too_repetitive = int(documents) - len(domain_scores)
        cuts[domain] = cut
    return cuts


def _resolve_ties(tied: pa.Table, cut: DomainCut, by: str) -> pa.Table:
    """The rows at the threshold that are kept: by id, up to the count or token budget."""
    tied = tied.take(pc.sort_indices(tied, [("id", "ascending")]))
    if by == "docs":
        return tied.slice(0, cut.keep - cut.above)
    tokens = tied["n_tokens"].to_numpy()
    before = cut.above_tokens + np.cumsum(tokens) - tokens
    return tied.slice(0, int(np.count_nonzero(before < cut.budget - 1e-9)))


def selected_rows(
    files: Sequence[str], cuts: dict[str, DomainCut], by: str, max_repetition: float | None = None
) -> pa.Table:
    """Pass 2: the selected rows (SELECTED_COLUMNS) of every domain."""
    above, tied = [], {}
    for path in files:
        table = _read(path, SELECTED_COLUMNS + (["repetition"] if max_repetition is not None else []))
        table = _eligible(table, max_repetition)
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
