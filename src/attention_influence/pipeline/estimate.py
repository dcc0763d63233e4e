"""The plan of a scoring job, stated before its cost is paid: documents, tokens, domains (and how
each was assigned), work already done (a resume), and the model time it will take on this device,
measured on a short probe of the corpus's own documents.

Everything here is cheap next to the work it plans: row counts come from Parquet metadata and
from counting lines (within a time budget; larger files are estimated from their first megabytes),
tokens and domains from a sample of at most SAMPLE_DOCS documents, the time from scoring about 1%
of the estimated tokens (at most PROBE_MAX_CPU on a CPU)."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import fsspec

from attention_influence.config import ScoreSettings
from attention_influence.corpus.readers import PARQUET_SUFFIXES, Record, exact_rows, jsonl_blocks, sample_records
from attention_influence.models import LoadedModel
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import fail_at
from attention_influence.progress import duration
from attention_influence.runs.plan import ChunkRange, shard_plan
from attention_influence.runs.rundir import RunDir

SAMPLE_DOCS = 256  # documents read and tokenized for the token and domain estimates
SAMPLE_FILES = 32  # files they are spread over
COUNT_SECONDS = 2.0  # time spent counting JSONL lines exactly; later files are estimated
COUNT_BYTES = 256 << 20  # a JSONL file larger than this is estimated from its first HEAD_BYTES
HEAD_BYTES = 4 << 20
PROBE_FRACTION = 0.01  # of the tokens still to score
PROBE_MIN, PROBE_MAX_CPU = 64, 1024  # tokens; on CUDA at most two batches
ORIGIN_NAMES = {"field": 'the field "{field}"', "setting": "--domain", "folder": "the parent folder"}


@dataclass
class DomainSeen:
    """A domain of the sampled documents and how their domain was assigned."""

    documents: int = 0
    origins: Counter = field(default_factory=Counter)  # "field" | "setting" | "folder" -> documents


@dataclass
class Sampled:
    """The records the plan reads (each with its domain origin), and whether they are all of the
    shard's rows."""

    records: list[tuple[Record, str]]
    complete: bool


@dataclass
class Speed:
    """A short measured probe of the model on this device."""

    tokens: int
    seconds: float
    device: str

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else math.inf


@dataclass
class ScorePlan:
    """What a scoring job (this shard of it) will do, and what it will cost."""

    out: str
    engine: str
    device: str
    dtype: str
    model: str
    heads: list[tuple[int, int]]
    heads_source: str
    domain_field: str
    max_length: int
    truncate: bool
    files: int = 0
    bytes: int = 0
    documents: int = 0  # rows of this shard's inputs
    counted_files: int = 0  # files whose rows were counted exactly (the others: estimated from size)
    sampled: int = 0  # documents read for the token and domain estimates
    sample_complete: bool = False  # the sample is every document: tokens and domains are exact
    tokens: int = 0  # model tokens (windows and --truncate applied)
    domains: dict[str, DomainSeen] = field(default_factory=dict)
    done_chunks: int = 0  # resume: chunks already scored (checked, not scored again)
    done_documents: int = 0
    done_tokens: int = 0
    speed: Speed | None = None
    note: str | None = None  # why there is no time estimate

    @property
    def documents_exact(self) -> bool:
        return self.counted_files == self.files

    @property
    def remaining_tokens(self) -> int:
        return max(self.tokens - self.done_tokens, 0)

    @property
    def seconds(self) -> float | None:
        """Estimated model time of the work left, from the measured probe."""
        if self.speed is None:
            return None
        return self.remaining_tokens / self.speed.tokens_per_second

    def lines(self) -> list[str]:
        """The plan as printed before the work starts."""
        about = "" if self.sample_complete and self.documents_exact else "≈ "
        shown = [f"plan: score {about}{self.documents:,} documents into {self.out}"]
        counted = (
            "counted"
            if self.documents_exact
            else f"counted in {self.counted_files} files, estimated from the size of {self.files - self.counted_files}"
        )
        shown.append(
            f"  input    {self.files:,} file{'s' * (self.files != 1)} ({human_bytes(self.bytes)}): "
            f"{'' if self.documents_exact else '≈ '}{self.documents:,} documents ({counted})"
        )
        window = f"windows of at most {self.max_length:,} tokens" + (", first window only" if self.truncate else "")
        if self.sample_complete:
            shown.append(f"  tokens   {self.tokens:,} (every document tokenized; {window})")
        else:
            mean = self.tokens / self.documents if self.documents else 0
            shown.append(
                f"  tokens   ≈ {self.tokens:,} ({mean:,.0f} a document in a sample of {self.sampled:,}; {window})"
            )
        shown.append(f"  domains  {self._domains()}")
        shown.append(
            f"  model    {self.model} ({self.device}, {self.dtype}); {len(self.heads)} heads masked "
            f"({self.heads_source})"
        )
        if self.done_chunks:
            shown.append(
                f"  resume   {self.done_documents:,} documents ({self.done_tokens:,} tokens) in {self.done_chunks:,} "
                f"chunk{'s' if self.done_chunks != 1 else ''} are already scored: checked, not scored again"
            )
        shown.append(f"  time     {self._time()}")
        return shown

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _domains(self) -> str:
        if not self.domains:
            return "none (no readable document in the sample)"
        names = sorted(self.domains, key=lambda d: (-self.domains[d].documents, d))
        parts = []
        for name in names[:12]:
            seen = self.domains[name]
            how = ", ".join(
                ORIGIN_NAMES[origin].format(field=self.domain_field) + (f" {count:,}" if len(seen.origins) > 1 else "")
                for origin, count in seen.origins.most_common()
            )
            parts.append(f"{name} {seen.documents:,} ({how})")
        more = f"; and {len(names) - 12} more" if len(names) > 12 else ""
        where = "" if self.sample_complete else "seen in the sample: "
        return where + "; ".join(parts) + more

    def _time(self) -> str:
        if self.speed is None:
            return f"not estimated: {self.note}"
        if not self.remaining_tokens:
            return "nothing left to score"
        speed = self.speed
        return (
            f"≈ {duration(self.seconds)} of model time on {speed.device} (measured here: {speed.tokens:,} tokens "
            f"of this corpus scored in {speed.seconds:.1f} s, {speed.tokens_per_second:,.0f} tokens/s)"
        )


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{size} B"


def _head_rows(path: str, size: int) -> int:
    """Rows of a large JSONL file, estimated from the lines in its first HEAD_BYTES (decompressed)
    and the share of the file (compressed bytes) they came from."""
    lines, last = 0, b"\n"
    seen = 0
    with fsspec.open(path, "rb") as raw:
        for block in jsonl_blocks(path, raw):
            lines += block.count(b"\n")
            seen, last = seen + len(block), block[-1:]
            if seen >= HEAD_BYTES:
                return max(1, round(lines * size / max(raw.tell(), 1)))
    return lines + (last != b"\n")


def count_documents(
    ranges: Sequence[ChunkRange],
    sizes: dict[str, int],
    chunk_docs: int,
    seconds: float = COUNT_SECONDS,
    max_bytes: int = COUNT_BYTES,
) -> tuple[int, int]:
    """(rows of the ranges, files counted exactly): Parquet from its metadata, JSONL files of at
    most `max_bytes` by counting lines until `seconds` have passed; the others estimated from
    their first megabytes and their size."""
    deadline = time.monotonic() + seconds
    total = counted = 0
    for piece in ranges:
        start, stop = piece.rows(chunk_docs)
        size = sizes.get(piece.path, 0)
        exact = piece.path.lower().endswith(PARQUET_SUFFIXES) or (time.monotonic() < deadline and size <= max_bytes)
        try:
            rows = exact_rows(piece.path) if exact else _head_rows(piece.path, size)
        except Exception:  # noqa: BLE001 - a damaged or foreign file: the readers count (and list) it
            rows = exact_rows(piece.path)
        counted += exact
        total += max(0, (rows if stop is None else min(stop, rows)) - start)
    return total, counted


def _spread(items: Sequence, count: int) -> list:
    """`count` items evenly spread over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)] if count > 1 else [items[0]]


def sample(ranges: Sequence[ChunkRange], settings: ScoreSettings) -> Sampled:
    """At most SAMPLE_DOCS records of the shard (`ranges`), spread over SAMPLE_FILES of its files,
    each with its domain origin; under on_error="fail" the first bad one raises (as the scoring
    would)."""
    picked = _spread(list(ranges), SAMPLE_FILES)
    per_file = max(8, SAMPLE_DOCS // max(len(picked), 1))
    found = Sampled([], len(picked) == len(ranges))
    for piece in picked:
        start, stop = piece.rows(settings.chunk_docs)
        limit = per_file if stop is None else min(per_file, stop - start)
        records, ended = sample_records(piece.path, settings.fields, start, limit)
        found.records += records
        found.complete = found.complete and (ended or (stop is not None and len(records) == stop - start))
    bad = next((record for record, _ in found.records if record.error is not None), None)
    if bad is not None and settings.on_error == "fail":
        raise fail_at(bad, bad.error)
    return found


def check_sample(sources: Sequence[str], settings: ScoreSettings) -> None:
    """Under on_error="fail", the plan's sample read now: a bad record in it stops a job before a
    model loads or heads are detected (the plan reads the same records again, after)."""
    if settings.on_error == "fail":
        sample(shard_plan(sources, settings.chunk_docs, settings.num_shards, settings.shard_index), settings)


def survey(
    plan: ScorePlan, job: ScoreJob, ranges: Sequence[ChunkRange], sampled: Sampled, tokenizer
) -> list[list[int]]:
    """Fill in the plan's documents, tokens and domains from the counts and the `sampled`
    records; returns the sampled documents' token ids."""
    settings = job.settings
    sizes = {s["uri"]: s.get("size") or 0 for s in job.manifest["sources"]}
    plan.files = len(ranges)
    plan.bytes = sum(sizes.get(r.path, 0) for r in ranges)
    plan.documents, plan.counted_files = count_documents(ranges, sizes, settings.chunk_docs)
    records = sampled.records
    usable = [(r, origin) for r, origin in records if r.error is None]
    ids = tokenizer([r.text for r, _ in usable], add_special_tokens=True)["input_ids"] if usable else []
    lengths = [min(len(i), settings.max_length) if settings.truncate else len(i) for i in ids]
    for record, origin in usable:
        seen = plan.domains.setdefault(record.domain, DomainSeen())
        seen.documents += 1
        seen.origins[origin] += 1
    plan.sampled = len(records)
    plan.sample_complete = sampled.complete and plan.documents_exact
    if plan.sample_complete:
        plan.tokens = sum(lengths)
    else:
        plan.tokens = round(sum(lengths) / len(records) * plan.documents) if records else 0
    return [i[: settings.max_length] if settings.truncate else i for i in ids]


def resumed(plan: ScorePlan, job: ScoreJob, ranges: Sequence[ChunkRange]) -> None:
    """Chunks of this shard already scored by an earlier process of the same run."""
    rundir = RunDir(job.out)
    if rundir.differences(job.manifest) != []:
        return
    import pyarrow.parquet as pq

    mine = {r.source: r for r in ranges}
    for (source, chunk), path in rundir.done_chunks().items():
        piece = mine.get(source)
        if piece is None or chunk < piece.first or (piece.stop is not None and chunk >= piece.stop):
            continue
        with fsspec.open(path, "rb") as f:
            table = pq.read_table(f, columns=["n_tokens"])
        plan.done_chunks += 1
        plan.done_documents += table.num_rows
        plan.done_tokens += int(sum(n or 0 for n in table["n_tokens"].to_pylist()))


def measure(loaded: LoadedModel, job: ScoreJob, documents: Sequence[list[int]], budget: int) -> Speed | None:
    """Score about `budget` tokens of the sampled documents (after a tiny warm-up) with the job's
    settings on the loaded model: the probe the time estimate comes from."""
    from attention_influence.pipeline.local import build_scorer

    documents = [d for d in documents if len(d) >= 2]
    if not documents:
        return None
    scorer = build_scorer(job, loaded, eager=True)  # the probe is short: compiling would cost more than it measures
    order = list(documents)
    random.Random(0).shuffle(order)
    scorer.score_token_lists([order[0][:16]])  # first-call costs (allocator, kernels) are not the corpus's
    picked, total = [], 0
    for ids in order:
        take = ids[: max(budget - total, 16)]
        picked.append(take)
        total += len(take)
        if total >= budget:
            break
    start = time.perf_counter()
    scorer.score_token_lists(picked)
    return Speed(total, time.perf_counter() - start, loaded.device.type)


def probe_budget(tokens: int, device_type: str, batch_tokens: int | None) -> int:
    """Tokens the time probe scores: about PROBE_FRACTION of the work, at least PROBE_MIN, at most
    PROBE_MAX_CPU on a CPU or two batches elsewhere."""
    high = PROBE_MAX_CPU if device_type == "cpu" else 2 * (batch_tokens or 8192)
    return int(min(high, max(PROBE_MIN, PROBE_FRACTION * tokens)))


def plan_score(
    job: ScoreJob,
    *,
    engine: str,
    load: Callable[[], LoadedModel | None] | None = None,
    tokenizer=None,
    device: str = "cpu",
) -> ScorePlan:
    """The plan of `job` (its shard): documents, tokens, domains, work already done, and, when
    `load` returns the model that will score the job, its time on its device from a measured
    probe. `load` is called once the sample is read: a bad record in it under on_error="fail" is
    named before any model loads. `tokenizer` is needed without a model; `device` names where
    the model runs then."""
    settings = job.settings
    ranges = shard_plan(job.sources, settings.chunk_docs, settings.num_shards, settings.shard_index)
    records = sample(ranges, settings)
    loaded = load() if load is not None else None
    if loaded is not None:
        tokenizer, device = loaded.tokenizer, loaded.device.type
    if tokenizer is None:
        from attention_influence.models import load_tokenizer

        tokenizer = load_tokenizer(job.model, job.model_settings.trust_remote_code)
    plan = ScorePlan(
        out=job.out,
        engine=engine,
        device=device,
        dtype=job.manifest["dtype"],
        model=job.model.name,
        heads=list(job.heads),
        heads_source=_heads_source(job.heads_source),
        domain_field=settings.fields.domain_field,
        max_length=settings.max_length,
        truncate=settings.truncate,
    )
    documents = survey(plan, job, ranges, records, tokenizer)
    resumed(plan, job, ranges)
    if loaded is None:
        plan.note = f"the {engine} engine loads the model on its workers (the progress bar shows the rate and ETA)"
    elif plan.remaining_tokens:
        budget = probe_budget(plan.remaining_tokens, device, settings.batch_tokens)
        plan.speed = measure(loaded, job, documents, budget)
        if plan.speed is None:
            plan.note = "no sampled document has 2 tokens or more"
    else:
        plan.speed = Speed(0, 0.0, device)
    return plan


def _heads_source(source: str) -> str:
    """Where the masked heads come from, in words."""
    from attention_influence.heads.spec import SHIPPED

    if source == "list":
        return "given as layer:head pairs"
    if source == "detected heads":
        return "detected from the sentences"
    if source == "detected first":
        return "to be detected from the sentences first"
    if source and str(SHIPPED) in source:
        return "shipped for this model"
    return f"from {source}" if source else "given"
