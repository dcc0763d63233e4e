"""The selection guard (METHOD.md section 7): documents whose next tokens can be copied from
structure earlier in the document (tables, listings, menus, accessors, tables of contents) have a
low base loss and a large relative rise when the retrieval heads are masked, so they outrank real
reasoning. The guard excludes them before ranking and says why, one reason per document.

Rules, checked in this order (the first that holds is the reason); thresholds in GuardSettings
(config.py), measured on both sides, whole documents (docs/guard.md): real text of the kinds the
paper selects (functions with doctests, worked solutions, articles with lists, library docs) and
boilerplate (generated and from system files):
  too_short     n_tokens < min_tokens, or fewer in a domain of short documents (SHORT_OF_MEDIAN of
                its typical document, `TokenMedians`): the relative rise of a few tokens is mostly
                noise next to longer ones
  templated     templated_text > max_templated_text: the text is lines that repeat a structure
  list          list_text > max_list_text: the text is list items, not sentences
  fields        field_text > max_field_text: the text is short "label: value" lines (spec
                sheets, reference sheets, key-value records)
  numeric       digit_share > max_digit_share: most characters are digits (tables of numbers,
                timetables, answer keys, logs)
  repeated      repetition > max_repetition: the text itself repeats (Gopher's n-gram measure)
  sentences     repeated_sentences > max_repeated_sentences: the text repeats its sentences with
                other names and numbers (keyword-stuffed pages, FAQ and listing pages, choruses)
  structured    structured_text > max_structured_text: the text is mostly templated, list and
                label: value lines together, none of them alone over its threshold (job boards,
                bank statements, Dockerfiles)
Every measure is a share of the text, read from its characters, in any language: no threshold
depends on the selector model's loss scale or on English. A row whose column for a rule is null
(not measured) is not excluded by that rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.config import SHORT_OF_MEDIAN, GuardSettings
from attention_influence.errors import InputError


class Rule(NamedTuple):
    name: str  # the reason's key in selection.json and DIR/excluded.parquet
    column: str  # score column it reads
    setting: str  # GuardSettings field holding its threshold
    comparison: str  # "<" or ">": the row is excluded when `column comparison threshold`
    label: str  # the reason shown, formatted with the row's value and the threshold
    digits: int  # decimals of the value in the label (more when needed to tell it from the threshold)
    off: float  # the threshold at which the rule can exclude nothing


def shown(value: float, limit: float, digits: int) -> tuple[str, str]:
    """(value, limit) as a reason shows them: the value with `digits` decimals, or as many more as
    it takes to tell it from the limit it crossed ("0.4501 > 0.45", never "0.45 > 0.45")."""
    for places in range(digits, 16):
        text = f"{value:.{places}f}"
        if float(text) != limit and f"{limit:.{places}f}" != text:
            return text, f"{limit:g}"
    return repr(value), repr(limit)


RULES: tuple[Rule, ...] = (
    Rule("too_short", "n_tokens", "min_tokens", "<", "too short: {value} tokens < {limit}", 0, 0),
    Rule("templated", "templated_text", "max_templated_text", ">", "templated text {value} > {limit}", 2, 1),
    Rule("list", "list_text", "max_list_text", ">", "list text {value} > {limit}", 2, 1),
    Rule("fields", "field_text", "max_field_text", ">", "label: value text {value} > {limit}", 2, 1),
    Rule("numeric", "digit_share", "max_digit_share", ">", "digits {value} > {limit}", 2, 1),
    Rule("repeated", "repetition", "max_repetition", ">", "repeated text {value} > {limit}", 2, 1),
    Rule(
        "sentences", "repeated_sentences", "max_repeated_sentences", ">", "repeated sentences {value} > {limit}", 2, 1
    ),
    Rule(
        "structured",
        "structured_text",
        "max_structured_text",
        ">",
        "templated, list and label: value text {value} > {limit}",
        2,
        1,
    ),
)
GUARD_COLUMNS: tuple[str, ...] = tuple(rule.column for rule in RULES)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


def active_rules(settings: GuardSettings) -> tuple[Rule, ...]:
    """The rules that can exclude a document under `settings` (none when the guard is off)."""
    if not settings.enabled:
        return ()
    return tuple(rule for rule in RULES if getattr(settings, rule.setting) != rule.off)


def needed_columns(settings: GuardSettings) -> tuple[str, ...]:
    """The score columns the guard reads under `settings`."""
    return tuple(dict.fromkeys(rule.column for rule in active_rules(settings)))


class TokenMedians:
    """Per domain, the length of its typical document as far as it can lower too_short's limit:
    the token-weighted median, the length of the document that holds the domain's median token
    (half its tokens are in documents of at most this length). Many short documents do not lower
    it while the domain's text is in long ones (the sample corpus's general domain: half its
    documents are ads of 36-54 tokens, 91% of its tokens are in articles). Counts documents per
    token count up to `cap` (a typical length at or over it leaves the limit at min_tokens) and
    every domain's tokens: memory grows with the distinct counts, neither with the documents nor
    with min_tokens. Fed a table at a time; exact (token counts read whole; a negative one is not
    counted)."""

    def __init__(self, settings: GuardSettings):
        self.min_tokens = settings.min_tokens
        self.cap = math.ceil(settings.min_tokens / SHORT_OF_MEDIAN)
        self.counts: dict[str, dict[int, int]] = {}  # domain -> token count (at most cap) -> documents
        self.tokens: dict[str, float] = {}  # domain -> its documents' tokens, all of them

    def add(self, table: pa.Table) -> None:
        """Count the rows of `table` (its columns domain and n_tokens; a row without either is
        not counted)."""
        tokens = np.floor(_column(table, "n_tokens"))  # (rows,), NaN where null; whole tokens
        domain = pc.dictionary_encode(table["domain"]).combine_chunks()  # names kept as they are
        codes = pc.fill_null(domain.indices, -1).to_numpy(zero_copy_only=False)  # (rows,)
        with np.errstate(invalid="ignore"):
            known = (tokens >= 0) & (codes >= 0)  # NaN compares False
        names = domain.dictionary.to_pylist()
        present = np.bincount(codes[known], minlength=len(names))  # (domains,) rows counted
        held = np.bincount(codes[known], weights=tokens[known], minlength=len(names))  # (domains,) tokens
        for code in np.flatnonzero(present):
            self.tokens[names[code]] = self.tokens.get(names[code], 0.0) + float(held[code])
        short = known & (tokens <= self.cap)
        pairs = np.stack([codes[short].astype(np.int64), tokens[short].astype(np.int64)])  # (2, short rows)
        found, counted = np.unique(pairs, axis=1, return_counts=True)  # one pass, every domain
        for (code, length), count in zip(found.T.tolist(), counted.tolist(), strict=True):
            counts = self.counts.setdefault(names[code], {})
            counts[length] = counts.get(length, 0) + count

    def limits(self) -> dict[str, float]:
        """Per domain, too_short's limit: min(min_tokens, SHORT_OF_MEDIAN x its typical length)."""
        limits = {}
        for name, total in self.tokens.items():
            counts = self.counts.get(name, {})
            lengths = sorted(counts)  # (distinct,) token counts up to cap
            held = np.cumsum([length * counts[length] for length in lengths])  # tokens in documents of at most each
            at = int(np.searchsorted(held, total / 2))  # the first length holding half the tokens
            typical = lengths[at] if at < len(lengths) else math.inf  # over cap: the limit stays min_tokens
            limits[name] = float(min(self.min_tokens, SHORT_OF_MEDIAN * typical))
        return limits


def token_limits(scores: pa.Table | Iterable[pa.Table], settings: GuardSettings) -> dict[str, float]:
    """too_short's limit in each domain of `scores` (all of each domain's rows: a table, or the
    tables of a run read one at a time)."""
    medians = TokenMedians(settings)
    for table in [scores] if isinstance(scores, pa.Table) else scores:
        medians.add(table)
    return medians.limits()


def _row_limits(scores: pa.Table, settings: GuardSettings, limits: Mapping[str, float] | None) -> np.ndarray:
    """(rows,) too_short's limit for each row: its domain's in `limits` (computed from `scores`
    when None), min_tokens for a row without a domain."""
    if "domain" not in scores.column_names:
        return np.full(scores.num_rows, float(settings.min_tokens))
    limits = token_limits(scores, settings) if limits is None else limits
    domains = scores["domain"].to_pylist()
    return np.array([limits.get(d, settings.min_tokens) for d in domains], dtype=np.float64)


def _column(scores: pa.Table, name: str) -> np.ndarray:
    """A column as float64 (rows,), null -> NaN."""
    return scores[name].to_numpy(zero_copy_only=False).astype(np.float64)


def guard_verdicts(
    scores: pa.Table, settings: GuardSettings | None = None, limits: Mapping[str, float] | None = None
) -> tuple[np.ndarray, pa.Array]:
    """Per row of `scores`: the index into RULES of the rule that excludes it (-1: it may be
    ranked), (rows,) int8; and its reason (null where none), a string array. `limits`: too_short's
    limit per domain (`TokenMedians`, over all of each domain's rows); None: `scores` holds all of
    its domains' rows, and they are computed from it."""
    settings = settings or GuardSettings()
    rules = active_rules(settings)
    missing = [rule.column for rule in rules if rule.column not in scores.column_names]
    if missing:
        raise InputError(f"score rows lack the guard's columns {', '.join(missing)}: rescore, or disable the guard")
    rows = scores.num_rows
    which = np.full(rows, -1, dtype=np.int8)  # (rows,)
    reasons = np.full(rows, None, dtype=object)  # (rows,) str | None
    for rule in rules:
        values = _column(scores, rule.column)  # (rows,), NaN where not measured
        limit = np.full(rows, float(getattr(settings, rule.setting)))  # (rows,)
        if rule.name == "too_short":
            limit = _row_limits(scores, settings, limits)
        with np.errstate(invalid="ignore"):
            hit = (values < limit) if rule.comparison == "<" else (values > limit)
        hit &= which < 0  # NaN compares False: an unmeasured row is not excluded by this rule
        which[hit] = RULES.index(rule)
        for row in np.flatnonzero(hit):
            value, bound = shown(float(values[row]), float(limit[row]), rule.digits)
            reasons[row] = rule.label.format(value=value, limit=bound)
    return which, pa.array(reasons, type=pa.string())


def guard_reasons(
    scores: pa.Table, settings: GuardSettings | None = None, limits: Mapping[str, float] | None = None
) -> pa.Array:
    """Per row of `scores`, why it is excluded from ranking, or null when it may be ranked."""
    return guard_verdicts(scores, settings, limits)[1]


def excluded_mask(scores: pa.Table, settings: GuardSettings | None = None) -> np.ndarray:
    """(rows,) bool: True where the guard excludes the row (`scores`: all of its domains' rows)."""
    return guard_verdicts(scores, settings)[0] >= 0


__all__ = [
    "GUARD_COLUMNS",
    "RULES",
    "SHORT_OF_MEDIAN",
    "RULE_NAMES",
    "GuardSettings",
    "Rule",
    "TokenMedians",
    "active_rules",
    "excluded_mask",
    "guard_reasons",
    "guard_verdicts",
    "needed_columns",
    "token_limits",
]
