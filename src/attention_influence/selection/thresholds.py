"""Exact per-domain thresholds over the score files of every shard, reading only score columns,
in memory proportional to the number of scores (16 bytes a score), then the selected rows.

Two passes over DIR/scores/: (1) score, token count and the guard's columns of every scored
row -> per domain the lowest selected score t among the rows the guard lets through (the
fraction is of all scored rows); (2) eligible rows with score >= t; ties at t are broken by id,
exactly as `rank_domain` does (best score first, then id); the excluded rows go to a callback."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.config import GuardSettings
from attention_influence.measures import MEASURE_COLUMNS
from attention_influence.runs.schema import SCORE_SCHEMA
from attention_influence.selection.guard import RULES, active_rules, guard_verdicts, needed_columns

SELECTED_COLUMNS = ["id", "domain", "source", "row", "n_tokens", "score", "loss_base", "loss_masked", "text_hash"]
EXCLUDED_SCHEMA = pa.schema(
    [(name, SCORE_SCHEMA.field(name).type) for name in SELECTED_COLUMNS]
    + [("rule", pa.string()), ("reason", pa.string())]
    + [(name, pa.float64()) for name in MEASURE_COLUMNS]
)  # DIR/excluded.parquet: the rows the guard kept out of the ranking, with the rule and reason


@dataclass
class DomainCut:
    """Where one domain is cut: every eligible row above `threshold` is kept, rows at it by id order."""

    domain: str
    documents: int  # scored rows of the domain (the fraction is taken of these)
    tokens: int
    threshold: float | None  # lowest selected score; None: nothing selected
    above: int = 0  # eligible rows with score > threshold
    above_tokens: int = 0
    keep: int = 0  # by docs: rows to keep in all
    budget: float = 0.0  # by tokens: tokens to keep (fraction x tokens)
    mean_score: float | None = None  # over every scored row of the domain
    mean_repetition: float | None = None  # None when the scores have no repetition column
    eligible: int = 0  # rows the guard let through to the ranking
    excluded: dict[str, int] = field(default_factory=dict)  # rule name -> rows it excluded


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
        table = pq.read_table(f, columns=[c for c in dict.fromkeys(columns) if c in names])
    return table.filter(pc.and_kleene(pc.is_valid(table["score"]), pc.is_finite(table["score"])))


def _by_domain(table: pa.Table) -> dict[str, np.ndarray]:
    """Row indices of each domain of a table."""
    domain = pc.dictionary_encode(table["domain"]).combine_chunks()
    codes = domain.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(domain.dictionary) + 1))
    return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(domain.dictionary.to_pylist())}


def quota(fraction: float, documents: int) -> int:
    """Documents kept of a domain of `documents` (by docs): ceil(fraction x documents)."""
    return math.ceil(fraction * documents - 1e-9)


def _cut(domain: str, scores: np.ndarray, tokens: np.ndarray, fraction: float, by: str, documents: int, total: int):
    """The cut of one domain's eligible `scores` (and their `tokens`); the fraction is taken of
    all `documents` (and `total` tokens) of the domain, excluded ones included."""
    n = len(scores)
    if by == "docs":
        keep = min(quota(fraction, documents), n)
        threshold = float(np.partition(scores, n - keep)[n - keep]) if keep else None
    else:
        order = np.argsort(-scores, kind="stable")  # (n,)
        before = np.cumsum(tokens[order]) - tokens[order]  # tokens kept before each row
        keep = int(np.count_nonzero(before < fraction * total - 1e-9))
        threshold = float(scores[order[keep - 1]]) if keep else None
        del order, before
    cut = DomainCut(domain, documents, total, threshold, keep=keep, budget=fraction * total, eligible=n)
    if threshold is not None:
        above = scores > threshold
        cut.above, cut.above_tokens = int(above.sum()), int(tokens[above].sum())
    return cut


def domain_cuts(
    files: Sequence[str], fraction: float, by: str, guard: GuardSettings | None = None
) -> dict[str, DomainCut]:
    """Pass 1: per domain, the threshold that keeps the top `fraction` (of all its scored
    documents or tokens) among the rows the guard lets through (`guard` None: every row)."""
    guard = guard or GuardSettings(enabled=False)
    scores: dict[str, list[np.ndarray]] = {}
    tokens: dict[str, list[np.ndarray]] = {}
    stats: dict[str, np.ndarray] = {}  # documents, tokens, score sum, repetition sum, repetition count
    excluded: dict[str, np.ndarray] = {}  # per rule of RULES
    with_repetition = has_column(files, "repetition")
    for path in files:
        table = _read(path, ["domain", "score", "n_tokens", "repetition", *needed_columns(guard)])
        which = guard_verdicts(table, guard)[0]  # (rows,) rule index or -1
        repeated = table["repetition"] if with_repetition else pa.nulls(table.num_rows, pa.float64())
        for domain, rows in _by_domain(table).items():
            take = pa.array(rows, type=pa.int64())
            sub, rep = table.take(take), repeated.take(take)
            stat = stats.setdefault(domain, np.zeros(5))
            stat += [
                sub.num_rows,
                pc.sum(sub["n_tokens"]).as_py() or 0,
                pc.sum(sub["score"]).as_py() or 0.0,
                pc.sum(rep).as_py() or 0.0,
                pc.count(rep).as_py(),
            ]
            verdict = which[rows]
            excluded.setdefault(domain, np.zeros(len(RULES), dtype=np.int64))
            excluded[domain] += np.bincount(verdict[verdict >= 0], minlength=len(RULES))
            eligible = verdict < 0
            scores.setdefault(domain, []).append(sub["score"].to_numpy()[eligible])
            tokens.setdefault(domain, []).append(sub["n_tokens"].to_numpy()[eligible])
    cuts = {}
    active = [RULES.index(rule) for rule in active_rules(guard)]
    for domain in sorted(scores):
        documents, total, score_sum, rep_sum, rep_count = stats[domain]
        domain_scores, domain_tokens = np.concatenate(scores.pop(domain)), np.concatenate(tokens.pop(domain))
        cut = _cut(domain, domain_scores, domain_tokens, fraction, by, int(documents), int(total))
        cut.mean_score = score_sum / documents if documents else None
        cut.mean_repetition = rep_sum / rep_count if rep_count else None
        cut.excluded = {RULES[i].name: int(excluded[domain][i]) for i in active}
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


def _excluded_rows(table: pa.Table, which: np.ndarray, reasons: pa.Array) -> pa.Table:
    """The rows of `table` the guard excluded, as EXCLUDED_SCHEMA (a missing measure is null)."""
    hit = np.flatnonzero(which >= 0)
    take = pa.array(hit, type=pa.int64())
    columns = {}
    for schema_field in EXCLUDED_SCHEMA:
        name = schema_field.name
        if name == "rule":
            columns[name] = pa.array([RULES[i].name for i in which[hit]], pa.string())
        elif name == "reason":
            columns[name] = reasons.take(take)
        elif name in table.column_names:
            columns[name] = table[name].take(take).cast(schema_field.type)
        else:
            columns[name] = pa.nulls(len(hit), schema_field.type)
    return pa.table(columns, schema=EXCLUDED_SCHEMA)


def selected_rows(
    files: Sequence[str],
    cuts: dict[str, DomainCut],
    by: str,
    guard: GuardSettings | None = None,
    on_excluded: Callable[[pa.Table], None] | None = None,
) -> pa.Table:
    """Pass 2: the selected rows (SELECTED_COLUMNS) of every domain; the rows the guard excludes
    are handed to `on_excluded` file by file (EXCLUDED_SCHEMA), when given."""
    guard = guard or GuardSettings(enabled=False)
    measures = list(MEASURE_COLUMNS) if on_excluded is not None else []
    above, tied = [], {}
    for path in files:
        table = _read(path, SELECTED_COLUMNS + list(needed_columns(guard)) + measures)
        which, reasons = guard_verdicts(table, guard)
        if on_excluded is not None and (which >= 0).any():
            on_excluded(_excluded_rows(table, which, reasons))
        table = table.filter(pa.array(which < 0))
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
