"""The cut of a domain: which of its scored documents are selected. One implementation, used by
`attninf select` (streaming over a run's score files), the report and `compare` (one domain's rows
in memory) and the datatrove top-fraction step (every task's score files), so they keep the same
documents, ties included.

The fraction is taken of every scored document of the domain (or of its tokens, by="tokens"), the
guard's exclusions included; it is filled with the eligible documents (those the guard lets
through), best score first, ties broken by id. Two passes over the rows, reading only the columns
they need (memory: about 16 bytes a score):

  1. `domain_cuts`: per domain, the threshold (the lowest kept score) among the eligible rows,
     and how many rows (or tokens) are kept above it (with the guard's too_short rule on, a read
     of the domain and tokens columns first: its limit in each domain, `DomainCut.min_tokens`);
  2. `selected_rows`: the eligible rows above the threshold and, of the rows at it, those that
     fill the count (or the token budget) in id order: their ids become `DomainCut.tied`.

A row is kept iff `DomainCut.keeps` says so: its score is above the threshold, or at it with its
id in `tied` (rows that share an id at the threshold are kept or dropped together). The rows the
guard excludes go to a callback in pass 2 (DIR/excluded.parquet)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.config import GuardSettings
from attention_influence.measures import MEASURE_COLUMNS
from attention_influence.runs.schema import SCORE_SCHEMA
from attention_influence.selection.guard import RULES, active_rules, guard_verdicts, needed_columns, token_limits

SELECTED_COLUMNS = ["id", "domain", "source", "row", "n_tokens", "score", "loss_base", "loss_masked", "text_hash"]
EXCLUDED_SCHEMA = pa.schema(
    [(name, SCORE_SCHEMA.field(name).type) for name in SELECTED_COLUMNS]
    + [("rule", pa.string()), ("reason", pa.string()), ("would_be_selected", pa.bool_())]
    + [(name, pa.float64()) for name in MEASURE_COLUMNS]
)  # DIR/excluded.parquet: the rows the guard kept out of the ranking, with the rule and reason, and
# whether the selection without the guard keeps them (what the guard cost)

Tables = Callable[[Sequence[str]], Iterable[pa.Table]]  # columns -> the rows, a table at a time


@dataclass
class DomainCut:
    """Where one domain is cut (see the module's docstring)."""

    domain: str
    documents: int  # scored rows of the domain (the fraction is taken of these)
    tokens: int
    threshold: float | None  # lowest selected score; None: nothing selected
    above: int = 0  # eligible rows with score > threshold
    above_tokens: int = 0
    keep: int = 0  # by docs: rows to keep in all
    budget: float = 0.0  # by tokens: tokens to keep (fraction x tokens)
    tied: frozenset[str] = frozenset()  # ids of the rows kept at the threshold (set by pass 2)
    mean_score: float | None = None  # over every scored row of the domain
    mean_repetition: float | None = None  # None when the scores have no repetition column
    eligible: int = 0  # rows the guard let through to the ranking
    excluded: dict[str, int] = field(default_factory=dict)  # rule name -> rows it excluded
    min_tokens: float | None = None  # the guard's too_short limit in this domain (None: the rule is off)

    def keeps(self, scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """(n,) bool: which eligible rows of this domain (their scores and ids) are kept."""
        if self.threshold is None:
            return np.zeros(len(scores), dtype=bool)
        at = scores == self.threshold
        tied = np.fromiter((str(i) in self.tied for i in ids[at]), dtype=bool, count=int(at.sum()))
        kept = scores > self.threshold
        kept[np.flatnonzero(at)[tied]] = True
        return kept


def quota(fraction: float, documents: int) -> int:
    """Documents kept of a domain of `documents` (by docs): ceil(fraction x documents)."""
    return math.ceil(fraction * documents - 1e-9)


def cut_domain(
    domain: str, scores: np.ndarray, tokens: np.ndarray, fraction: float, by: str, documents: int, total: int
) -> DomainCut:
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


def resolve_ties(tied: pa.Table, cut: DomainCut, by: str) -> frozenset[str]:
    """The ids of the rows at the threshold that are kept: in id order, up to the count or the
    token budget left by the rows above it."""
    tied = tied.take(pc.sort_indices(tied, [("id", "ascending")]))
    if by == "docs":
        kept = tied.slice(0, cut.keep - cut.above)
    else:
        tokens = tied["n_tokens"].to_numpy()
        before = cut.above_tokens + np.cumsum(tokens) - tokens
        kept = tied.slice(0, int(np.count_nonzero(before < cut.budget - 1e-9)))
    return frozenset(map(str, kept["id"].to_pylist()))


# ---------------------------------------------------------------- where the rows come from


def _valid(table: pa.Table) -> pa.Table:
    return table.filter(pc.and_kleene(pc.is_valid(table["score"]), pc.is_finite(table["score"])))


def file_tables(files: Sequence[str]) -> Tables:
    """The valid score rows of Parquet score files, a file at a time (absent columns left out)."""

    def tables(columns: Sequence[str]) -> Iterable[pa.Table]:
        for path in files:
            with fsspec.open(path, "rb") as f:
                names = pq.read_schema(f).names
                f.seek(0)
                table = pq.read_table(f, columns=[c for c in dict.fromkeys(columns) if c in names])
            yield _valid(table)

    return tables


def memory_tables(table: pa.Table) -> Tables:
    """The valid score rows of a table in memory."""
    valid = _valid(table)
    return lambda columns: [valid.select([c for c in dict.fromkeys(columns) if c in valid.column_names])]


def has_column(files: Sequence[str], name: str) -> bool:
    """Whether every score file has the column `name`."""
    for path in files:
        with fsspec.open(path, "rb") as f:
            if name not in pq.read_schema(f).names:
                return False
    return True


def _by_domain(table: pa.Table) -> dict[str, np.ndarray]:
    """Row indices of each domain of a table."""
    domain = pc.dictionary_encode(table["domain"]).combine_chunks()
    codes = domain.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(domain.dictionary) + 1))
    return {name: order[bounds[i] : bounds[i + 1]] for i, name in enumerate(domain.dictionary.to_pylist())}


# ---------------------------------------------------------------- the two passes


@dataclass
class _Domain:
    """Pass 1's running totals of one domain."""

    scores: list[np.ndarray] = field(default_factory=list)  # eligible rows'
    tokens: list[np.ndarray] = field(default_factory=list)
    stats: np.ndarray = field(default_factory=lambda: np.zeros(5))  # docs, tokens, score sum, rep sum, rep count
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(len(RULES), dtype=np.int64))  # per rule


def _tally(into: _Domain, table: pa.Table, rows: np.ndarray, verdict: np.ndarray) -> None:
    take = pa.array(rows, type=pa.int64())
    sub = table.take(take)
    repetition = sub["repetition"] if "repetition" in sub.column_names else pa.nulls(len(rows), pa.float64())
    into.stats += [
        sub.num_rows,
        pc.sum(sub["n_tokens"]).as_py() or 0,
        pc.sum(sub["score"]).as_py() or 0.0,
        pc.sum(repetition).as_py() or 0.0,
        pc.count(repetition).as_py(),
    ]
    into.excluded += np.bincount(verdict[verdict >= 0], minlength=len(RULES))
    eligible = verdict < 0
    into.scores.append(sub["score"].to_numpy()[eligible])
    into.tokens.append(sub["n_tokens"].to_numpy()[eligible])


def _limits_needed(guard: GuardSettings | None) -> bool:
    return guard is not None and any(rule.name == "too_short" for rule in active_rules(guard))


def too_short_limits(tables: Tables, guard: GuardSettings) -> dict[str, float] | None:
    """The guard's too_short limit in each domain, from all its rows (None: the rule is off)."""
    if not _limits_needed(guard):
        return None
    return token_limits(tables(["domain", "n_tokens", "score"]), guard)  # the valid rows: a score tells them


def reads(guard: GuardSettings | None) -> int:
    """How many times `cut_tables` reads the rows under `guard`."""
    return 3 if _limits_needed(guard) else 2


def limits_of(cuts: dict[str, DomainCut]) -> dict[str, float]:
    """The too_short limit of each domain the cuts were made with."""
    return {name: cut.min_tokens for name, cut in cuts.items() if cut.min_tokens is not None}


def domain_cuts(tables: Tables, fraction: float, by: str, guard: GuardSettings | None = None) -> dict[str, DomainCut]:
    """Pass 1: per domain, the threshold that keeps the top `fraction` (of all its scored
    documents or tokens) among the rows the guard lets through (`guard` None: every row)."""
    guard = guard or GuardSettings(enabled=False)
    limits = too_short_limits(tables, guard)
    domains: dict[str, _Domain] = {}
    for table in tables(["domain", "score", "n_tokens", "repetition", *needed_columns(guard)]):
        which = guard_verdicts(table, guard, limits or {})[0]  # (rows,) rule index or -1
        for name, rows in _by_domain(table).items():
            _tally(domains.setdefault(name, _Domain()), table, rows, which[rows])
    cuts = {}
    active = [RULES.index(rule) for rule in active_rules(guard)]
    for name in sorted(domains):
        d = domains.pop(name)
        documents, total, score_sum, rep_sum, rep_count = d.stats
        cut = cut_domain(
            name, np.concatenate(d.scores), np.concatenate(d.tokens), fraction, by, int(documents), int(total)
        )
        cut.mean_score = score_sum / documents if documents else None
        cut.mean_repetition = rep_sum / rep_count if rep_count else None
        cut.excluded = {RULES[i].name: int(d.excluded[i]) for i in active}
        cut.min_tokens = None if limits is None else limits.get(name, float(guard.min_tokens))  # (no n_tokens)
        cuts[name] = cut
    return cuts


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
    tables: Tables,
    cuts: dict[str, DomainCut],
    by: str,
    guard: GuardSettings | None = None,
    on_excluded: Callable[[pa.Table], None] | None = None,
    columns: Sequence[str] = SELECTED_COLUMNS,
) -> pa.Table:
    """Pass 2: the selected rows (`columns`) of every domain, and each cut's `tied` ids; the rows
    the guard excludes are handed to `on_excluded` a table at a time (EXCLUDED_SCHEMA), when given."""
    guard = guard or GuardSettings(enabled=False)
    measures = list(MEASURE_COLUMNS) if on_excluded is not None else []
    above, at = [], {}
    limits = limits_of(cuts)
    for table in tables([*columns, *SELECTED_COLUMNS, *needed_columns(guard), *measures]):
        which, reasons = guard_verdicts(table, guard, limits)
        if on_excluded is not None and (which >= 0).any():
            on_excluded(_excluded_rows(table, which, reasons))
        table = table.filter(pa.array(which < 0))
        for name, rows in _by_domain(table).items():
            cut = cuts[name]
            if cut.threshold is None:
                continue
            sub = table.take(pa.array(rows, type=pa.int64()))
            above.append(sub.filter(pc.greater(sub["score"], cut.threshold)))
            at.setdefault(name, []).append(sub.filter(pc.equal(sub["score"], cut.threshold)))
    kept = above
    for name, pieces in sorted(at.items()):
        tied = pa.concat_tables(pieces)
        cuts[name].tied = resolve_ties(tied, cuts[name], by)
        kept.append(tied.filter(pc.is_in(tied["id"], pa.array(sorted(cuts[name].tied), pa.string()))))
    if not kept:
        return pa.table({name: pa.array([], SCORE_SCHEMA.field(name).type) for name in columns})
    present = [c for c in columns if c in kept[0].column_names]
    return pa.concat_tables([t.select(present) for t in kept])


def cut_tables(
    tables: Tables,
    fraction: float,
    by: str,
    guard: GuardSettings | None = None,
    on_excluded: Callable[[pa.Table], None] | None = None,
) -> tuple[dict[str, DomainCut], pa.Table]:
    """Both passes: (the cut of every domain, with its tied ids; the selected rows)."""
    cuts = domain_cuts(tables, fraction, by, guard)
    return cuts, selected_rows(tables, cuts, by, guard, on_excluded)
