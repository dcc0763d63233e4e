"""Account for every input record: it gets a score, or an entry (source, row, id, reason) in
DIR/errors.jsonl. `on_error="fail"` turns the first entry into a BadRecordError instead."""

from __future__ import annotations

from dataclasses import dataclass, field

from attention_influence.corpus.readers import Record, location
from attention_influence.errors import InputError, InternalError
from attention_influence.runs.summary import ScoreSummary


class BadRecordError(InputError):
    """A bad record under on_error="fail"; the message names the file and line."""


class AccountingError(InternalError):
    """scored + listed != read: a record went missing (a bug, never bad input)."""


def reason_kind(reason: str) -> str:
    """The reason without its details, for counting: 'invalid JSON (...)' -> 'invalid JSON'."""
    return reason.split(" (")[0]


def fail_at(record: Record, reason: str) -> BadRecordError:
    return BadRecordError(f"{location(record.source, record.row)}: {reason} (on_error=fail)")


def entry(record: Record, reason: str) -> dict:
    """The errors.jsonl line of a record without a score."""
    return {"source": record.source, "row": record.row, "id": record.id, "reason": reason}


@dataclass
class ChunkCounts:
    """What happened to the records of one chunk; `resumed` when it was done before a restart."""

    source: int
    chunk: int
    records: int = 0  # read
    scored: int = 0
    unscored: int = 0  # rows of the part file without a score (listed too)
    unreadable: int = 0  # records with no row in the part file (listed only)
    tokens: int = 0
    reasons: dict = field(default_factory=dict)  # reason kind -> records without a score
    flags: dict = field(default_factory=dict)  # flag -> scored records repaired on the way
    resumed: bool = False
    real_tokens: int = 0  # tokens the model ran on
    padded_tokens: int = 0  # token slots of its batches
    busy_seconds: float = 0.0  # time in the model
    peak_memory_bytes: int = 0

    def check(self) -> None:
        """The accounting invariant: every record read is scored or listed."""
        if self.scored + self.unscored + self.unreadable != self.records:
            raise AccountingError(
                f"chunk {self.chunk} of source {self.source}: {self.records} records read but {self.scored} scored "
                f"+ {self.unscored + self.unreadable} listed"
            )


__all__ = ["AccountingError", "BadRecordError", "ChunkCounts", "ScoreSummary", "entry", "fail_at", "reason_kind"]
