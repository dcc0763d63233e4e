"""The selection guard (METHOD.md section 7): documents whose next tokens can be copied from
structure earlier in the document (tables, listings, menus, accessors, tables of contents) have a
low base loss and a large relative rise when the retrieval heads are masked, so they outrank real
reasoning. The guard excludes them before ranking and says why, one reason per document.

Rules, checked in this order (the first that holds is the reason); thresholds measured on the
calibration set in tests/fixtures/calibration (docs/guard.md has the distributions):
  too short      n_tokens < min_tokens: the relative rise of a few tokens is mostly noise
  templated      templated_lines > max_templated_lines: lines repeat a template
  list           list_lines > max_list_lines: lines are list items, not sentences
  repeated       repetition > max_repetition: the text itself repeats (Gopher's n-gram measure)
  predictable    loss_base < min_loss_base (nats/token): the model already predicts almost every
                 token (calibrated for SmolLM2-135M; 0 turns the rule off)
A row whose column for a rule is null (not measured) is not excluded by that rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from attention_influence.errors import InputError, SettingError


@dataclass(frozen=True)
class GuardSettings:
    """Thresholds of the guard; `enabled=False` lets every document be ranked."""

    enabled: bool = True
    min_tokens: int = 64  # tokens; real calibration documents have >= 67
    min_loss_base: float = 0.8  # nats/token; real calibration documents have >= 0.96
    max_templated_lines: float = 0.45  # share of lines; real calibration functions reach 0.44
    max_list_lines: float = 0.5  # share of lines; real calibration documents reach 0.37
    max_repetition: float = 0.3  # Gopher duplicate n-gram fraction; real calibration text reaches 0.17

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "enabled":
                if not isinstance(value, bool):
                    raise SettingError(f.name, f"must be true or false, got {value!r}")
            elif f.name == "min_tokens":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise SettingError(f.name, f"must be a whole number >= 0, got {value!r}")
            elif f.name == "min_loss_base":
                if not _is_number(value) or not 0 <= value < math.inf:
                    raise SettingError(f.name, f"must be a finite number >= 0, got {value!r}")
            elif not _is_number(value) or not 0 <= value <= 1:
                raise SettingError(f.name, f"must be in [0, 1], got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


# (column, setting, comparison, reason label, number format): the rules, in the order they are checked.
RULES: tuple[tuple[str, str, str, str, str], ...] = (
    ("n_tokens", "min_tokens", "<", "too short: {value} tokens < {limit}", "{:.0f}"),
    ("templated_lines", "max_templated_lines", ">", "templated lines {value} > {limit}", "{:.2f}"),
    ("list_lines", "max_list_lines", ">", "list lines {value} > {limit}", "{:.2f}"),
    ("repetition", "max_repetition", ">", "repeated text {value} > {limit}", "{:.2f}"),
    ("loss_base", "min_loss_base", "<", "predictable: base loss {value} < {limit}", "{:.2f}"),
)
GUARD_COLUMNS: tuple[str, ...] = tuple(rule[0] for rule in RULES)


def _column(scores: pa.Table, name: str) -> np.ndarray:
    """A column as float64 (rows,), null -> NaN."""
    return scores[name].to_numpy(zero_copy_only=False).astype(np.float64)


def guard_reasons(scores: pa.Table, settings: GuardSettings | None = None) -> pa.Array:
    """Per row of `scores` (columns GUARD_COLUMNS), why it is excluded from ranking, or null
    when it may be ranked: a string array of length scores.num_rows."""
    settings = settings or GuardSettings()
    missing = [name for name in GUARD_COLUMNS if name not in scores.column_names]
    if missing:
        raise InputError(f"score rows lack the guard's columns {', '.join(missing)}: rescore, or disable the guard")
    rows = scores.num_rows
    reasons = np.full(rows, None, dtype=object)  # (rows,) str | None
    if not settings.enabled or rows == 0:
        return pa.array(reasons, type=pa.string())
    undecided = np.ones(rows, dtype=bool)  # (rows,)
    for column, setting, comparison, label, number in RULES:
        values = _column(scores, column)  # (rows,), NaN where not measured
        limit = getattr(settings, setting)
        with np.errstate(invalid="ignore"):
            hit = (values < limit) if comparison == "<" else (values > limit)
        hit &= undecided  # NaN compares False: an unmeasured row is not excluded by this rule
        for row in np.flatnonzero(hit):
            reasons[row] = label.format(value=number.format(values[row]), limit=limit)
        undecided &= ~hit
    return pa.array(reasons, type=pa.string())


def excluded_mask(scores: pa.Table, settings: GuardSettings | None = None) -> np.ndarray:
    """(rows,) bool: True where the guard excludes the row."""
    return ~np.asarray(guard_reasons(scores, settings).is_null().to_numpy(zero_copy_only=False))
