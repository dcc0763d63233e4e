"""Account for every input record: it gets a score, or an entry (source, row, reason) in
DIR/errors.jsonl. `--on-error fail` turns the first entry into a BadRecordError instead."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from attention_influence.corpus.readers import PARQUET_SUFFIXES, Record
from attention_influence.errors import InputError, InternalError
from attention_influence.scoring.engine import DocScore

ON_ERROR = ("skip", "fail")


class BadRecordError(InputError):
    """A bad record under `--on-error fail`; the message names the file and line."""


class AccountingError(InternalError):
    """scored + listed != read: a record went missing (a bug, never bad input)."""


def location(source: str, row: int) -> str:
    """`file:line` (1-based) for JSONL, `file row N` (0-based) for Parquet."""
    return f"{source} row {row}" if source.lower().endswith(PARQUET_SUFFIXES) else f"{source}:{row + 1}"


def reason_kind(reason: str) -> str:
    """The reason without its details, for counting: 'invalid JSON (...)' -> 'invalid JSON'."""
    return reason.split(" (")[0]


@dataclass
class Ledger:
    """What happened to each record read: counts, and the entries of errors.jsonl."""

    on_error: str = "skip"
    read: int = 0
    scored: int = 0
    entries: list[dict] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)  # reason kind -> records without a score
    flags: Counter = field(default_factory=Counter)  # flag -> scored records repaired on the way

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise ValueError(f"--on-error must be skip or fail, got {self.on_error!r}")

    def check_records(self, records: Sequence[Record]) -> None:
        """Under `fail`, raise at the first record the reader could not use."""
        for record in records:
            if record.error is not None:
                self._fail(record, record.error)

    def add(self, records: Sequence[Record], results: dict[int, DocScore]) -> list[dict]:
        """Book a chunk: `results` maps positions in `records` to the scores of usable records.
        Returns the chunk's new errors entries."""
        first = len(self.entries)
        for index, record in enumerate(records):
            result = results.get(index)
            reason = record.error if result is None else result.reason
            if result is not None and result.score is None and reason is None:
                reason = "no score"
            self.read += 1
            if reason is None:
                self.scored += 1
                if record.flag:
                    self.flags[record.flag] += 1
                continue
            self._fail(record, reason)
            self.entries.append({"source": record.source, "row": record.row, "id": record.id, "reason": reason})
            self.reasons[reason_kind(reason)] += 1
        return self.entries[first:]

    def add_done(self, read: int, table: pa.Table, entries: list[dict]) -> None:
        """Book a chunk finished before a restart: its score table and its errors entries."""
        self.read += read
        self.scored += table.num_rows - table["score"].null_count
        self.entries.extend(entries)
        self.reasons.update(reason_kind(e["reason"]) for e in entries)

    def _fail(self, record: Record, reason: str) -> None:
        if self.on_error == "fail":
            raise BadRecordError(f"{location(record.source, record.row)}: {reason} (--on-error fail)")

    def check(self) -> None:
        """The accounting invariant: every record read is scored or listed."""
        if self.scored + len(self.entries) != self.read:
            raise AccountingError(f"{self.read} records read but {self.scored} scored + {len(self.entries)} listed")
