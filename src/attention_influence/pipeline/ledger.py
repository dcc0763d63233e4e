"""Account for every input record: it gets a score, or an entry (source, row, id, reason) in
DIR/errors.jsonl. `on_error="fail"` turns the first entry into a BadRecordError instead."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from attention_influence.corpus.readers import Record, location
from attention_influence.errors import InputError, InternalError


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


@dataclass
class ScoreSummary:
    """What a scoring process did (one shard, or all of them)."""

    records: int = 0
    scored: int = 0
    unscored: int = 0  # scored rows without a score (listed in errors.jsonl too)
    errors: int = 0  # records listed in errors.jsonl with no score row (unreadable)
    tokens: int = 0
    seconds: float = 0.0
    reasons: dict = field(default_factory=dict)
    resumed_chunks: int = 0  # chunks found complete on disk and not scored again
    resumed_tokens: int = 0
    flags: dict = field(default_factory=dict)
    real_tokens: int = 0
    padded_tokens: int = 0
    busy_seconds: float = 0.0
    peak_memory_bytes: int = 0  # peak RSS (CPU) or CUDA allocator peak, the largest of any worker
    executor: str = "local"

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - self.resumed_tokens) / self.seconds if self.seconds else 0.0

    @property
    def padding_fraction(self) -> float:
        """Share of the batches' token slots that held padding."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else 0.0

    @property
    def busy_fraction(self) -> float:
        """Share of the wall time the model was computing."""
        return min(1.0, self.busy_seconds / self.seconds) if self.seconds else 0.0

    def add(self, counts: ChunkCounts) -> None:
        counts.check()
        self.records += counts.records
        self.scored += counts.scored
        self.unscored += counts.unscored
        self.errors += counts.unreadable
        self.tokens += counts.tokens
        self.real_tokens += counts.real_tokens
        self.padded_tokens += counts.padded_tokens
        self.busy_seconds += counts.busy_seconds
        self.peak_memory_bytes = max(self.peak_memory_bytes, counts.peak_memory_bytes)
        self.reasons = dict(Counter(self.reasons) + Counter(counts.reasons))
        self.flags = dict(Counter(self.flags) + Counter(counts.flags))
        if counts.resumed:
            self.resumed_chunks += 1
            self.resumed_tokens += counts.tokens

    def as_dict(self) -> dict:
        return asdict(self) | {
            "tokens_per_second": self.tokens_per_second,
            "padding_fraction": self.padding_fraction,
            "busy_fraction": self.busy_fraction,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ScoreSummary:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})
