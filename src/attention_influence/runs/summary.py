"""What scoring did: a process's (one shard's) summary and the run's (every shard's, added up),
DIR/summary.json. Each field says how shard summaries combine (`merge`): counts add up, reason
and flag counts merge, the time and the peak memory are the largest of any shard."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields

SUM, MAX, COUNTS = "sum", "max", "counts"  # how a field of shard summaries combines


def _field(default, how: str):
    if isinstance(default, dict):
        return field(default_factory=dict, metadata={"merge": how})
    return field(default=default, metadata={"merge": how})


@dataclass
class ScoreSummary:
    """What a scoring process did (one shard, or all of them)."""

    records: int = _field(0, SUM)
    scored: int = _field(0, SUM)
    unscored: int = _field(0, SUM)  # scored rows without a score (listed in errors.jsonl too)
    errors: int = _field(0, SUM)  # records listed in errors.jsonl with no score row (unreadable)
    tokens: int = _field(0, SUM)
    seconds: float = _field(0.0, MAX)  # shards run side by side: the longest
    reasons: dict = _field({}, COUNTS)  # reason kind -> records without a score
    resumed_chunks: int = _field(0, SUM)  # chunks found complete on disk and not scored again
    resumed_tokens: int = _field(0, SUM)
    flags: dict = _field({}, COUNTS)  # flag -> scored records repaired on the way
    real_tokens: int = _field(0, SUM)  # tokens the model ran on
    padded_tokens: int = _field(0, SUM)  # token slots of its batches
    busy_seconds: float = _field(0.0, SUM)  # time in the model
    peak_memory_bytes: int = _field(0, MAX)  # peak RSS (CPU) or CUDA allocator peak, the largest of any worker
    executor: str = "local"
    shards: int = _field(1, SUM)

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - self.resumed_tokens) / self.seconds if self.seconds else 0.0

    @property
    def nothing_scored(self) -> bool:
        """Every chunk was found finished on disk: this process scored nothing again."""
        return bool(self.resumed_chunks) and self.resumed_tokens == self.tokens

    @property
    def padding_fraction(self) -> float:
        """Share of the batches' token slots that held padding."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else 0.0

    @property
    def busy_fraction(self) -> float:
        """Share of the wall time the model was computing."""
        return min(1.0, self.busy_seconds / self.seconds) if self.seconds else 0.0

    def add(self, counts) -> None:
        """Add one chunk's counts (pipeline/ledger.py ChunkCounts) to this process's summary."""
        counts.check()
        for name in ("records", "scored", "unscored", "tokens", "real_tokens", "padded_tokens", "busy_seconds"):
            setattr(self, name, getattr(self, name) + getattr(counts, name))
        self.errors += counts.unreadable
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
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def merge(cls, parts: list[dict]) -> ScoreSummary:
        """Shard summaries (their `as_dict`) added up."""
        total = cls(shards=0)
        for part in map(cls.from_dict, parts):
            for f in fields(cls):
                how, mine, theirs = f.metadata.get("merge"), getattr(total, f.name), getattr(part, f.name)
                if how == SUM:
                    setattr(total, f.name, mine + (theirs or 0))
                elif how == MAX:
                    setattr(total, f.name, max(mine, theirs or 0))
                elif how == COUNTS:
                    setattr(total, f.name, dict(Counter(mine) + Counter(theirs or {})))
            total.executor = part.executor
        return total


def merge_summaries(parts: list[dict]) -> dict:
    """DIR/summary.json from the shards' summaries."""
    return ScoreSummary.merge(parts).as_dict()
