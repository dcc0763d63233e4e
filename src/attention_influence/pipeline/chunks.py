"""The chunk pipeline, one implementation for every executor:

    read (records of rows [c x chunk_docs, (c+1) x chunk_docs) of a source)
    -> prepare (CPU: text hash, measures, token ids; a chunk finished before a restart is
       checked against its part file and skipped)
    -> score (the model: both losses, a document that breaks it costs only itself)
    -> write (its errors, then its part file, through RunDir)

Executors only decide where `prepare_chunk` and `score_chunk` run (a thread, Ray actors)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from attention_influence.corpus.readers import Record, read_range
from attention_influence.measures import MEASURE_COLUMNS, text_measures
from attention_influence.pipeline.job import ScoreJob
from attention_influence.pipeline.ledger import ChunkCounts, entry, fail_at, reason_kind
from attention_influence.runs.plan import ChunkRange
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import SCORE_SCHEMA, text_hash
from attention_influence.scoring.engine import DocScore
from attention_influence.scoring.isolate import failed, failure, score_isolated


@dataclass
class Chunk:
    """The records of one chunk, as read."""

    source: int
    chunk: int
    records: list[Record]


@dataclass
class PreparedChunk:
    """A chunk ready for the model. Records keep no text; `usable` indexes the records the
    reader could use, and token ids, failures, hashes and measures are given for those."""

    source: int
    chunk: int
    records: list[Record]
    usable: list[int] = field(default_factory=list)
    token_ids: list[list[int]] = field(default_factory=list)
    failures: list[str | None] = field(default_factory=list)  # tokenizer failure per usable record
    hashes: list[str] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    done: ChunkCounts | None = None  # finished before a restart (and still matching the source)
    stale: bool = False  # a part file was there but no longer matches the source: scored again


def read_chunks(job: ScoreJob, ranges: Sequence[ChunkRange]) -> Iterator[Chunk]:
    """The chunks of `ranges`, in order; a chunk whose rows are all blank is not yielded."""
    size = job.settings.chunk_docs
    for piece in ranges:
        start, stop = piece.rows(size)
        current: Chunk | None = None
        for record in read_range(piece.path, job.settings.fields, start, stop):
            index = record.row // size
            if current is None or current.chunk != index:
                if current is not None:
                    yield current
                current = Chunk(piece.source, index, [])
            current.records.append(record)
        if current is not None:
            yield current


def tokenize(tokenizer, texts: list[str]) -> tuple[list[list[int]], list[str | None]]:
    """Token ids (with the model's special tokens) and, per text, the failure that stopped it:
    one text that breaks the tokenizer costs only that text."""
    if not texts:
        return [], []
    try:
        return tokenizer(texts, add_special_tokens=True)["input_ids"], [None] * len(texts)
    except Exception:  # noqa: BLE001 - find the text that breaks it, keep the others
        ids, failures = [], []
        for text in texts:
            try:
                ids.append(tokenizer([text], add_special_tokens=True)["input_ids"][0])
                failures.append(None)
            except Exception as err:  # noqa: BLE001
                ids.append([])
                failures.append(failure(err))
        return ids, failures


def _verified(rundir: RunDir, chunk: Chunk, usable: list[int], hashes: list[str]) -> ChunkCounts | bool:
    """The counts of a chunk finished before a restart, if its part still matches the source
    row for row (rows and text hashes); else whether a stale part was found."""
    if not rundir.has_chunk(chunk.source, chunk.chunk):
        return False
    table, errors = rundir.read_chunk(
        chunk.source, chunk.chunk, ["row", "text_hash", "n_tokens", "score", "reason", "flag"]
    )
    rows = [chunk.records[i].row for i in usable]
    if table["row"].to_pylist() != rows or table["text_hash"].to_pylist() != hashes:
        return True
    scored = table.num_rows - table["score"].null_count
    counts = ChunkCounts(chunk.source, chunk.chunk, len(chunk.records), scored, table["score"].null_count)
    counts.unreadable = len(chunk.records) - table.num_rows
    counts.tokens = int(pc.sum(table["n_tokens"]).as_py() or 0)
    counts.reasons = _count(reason_kind(e["reason"]) for e in errors)
    counts.flags = _count(
        f for f, s in zip(table["flag"].to_pylist(), table["score"].to_pylist(), strict=True) if f and s is not None
    )
    counts.resumed = True
    return counts


def _count(items) -> dict:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def prepare_chunk(job: ScoreJob, rundir: RunDir, tokenizer, chunk: Chunk) -> PreparedChunk:
    """CPU work of a chunk: text hashes, measures and token ids of its usable records; a chunk
    done before a restart comes back with `done` set (not tokenized)."""
    if job.settings.on_error == "fail":
        for record in chunk.records:
            if record.error is not None:
                raise fail_at(record, record.error)
    usable = [i for i, r in enumerate(chunk.records) if r.error is None]
    texts = [chunk.records[i].text for i in usable]
    hashes = [text_hash(t) for t in texts]
    prepared = PreparedChunk(chunk.source, chunk.chunk, [_without_text(r) for r in chunk.records], usable)
    prepared.hashes = hashes
    found = _verified(rundir, chunk, usable, hashes)
    if isinstance(found, ChunkCounts):
        prepared.done = found
    else:
        prepared.stale = found
        prepared.token_ids, prepared.failures = tokenize(tokenizer, texts)
        prepared.measures = [text_measures(t) for t in texts]
    return prepared


def _without_text(record: Record) -> Record:
    return Record(record.source, record.row, record.id, record.domain, None, record.error, record.flag)


def score_chunk(
    job: ScoreJob,
    rundir: RunDir,
    scorer,
    prepared: PreparedChunk,
    on_batch: Callable[[int, int], None] | None = None,
) -> ChunkCounts:
    """Score a prepared chunk (unless done before a restart), write its errors and part file,
    and return its counts. `on_batch(documents, tokens)` reports progress as the model's batches finish."""
    if prepared.done is not None:
        return prepared.done
    real, padded, busy = scorer.real_tokens, scorer.padded_tokens, scorer.busy_seconds
    todo = [k for k, failure in enumerate(prepared.failures) if failure is None]
    tokens = [prepared.token_ids[k] for k in todo]
    scored = iter(score_isolated(scorer, None, tokens, on_batch=on_batch) if todo else [])
    results: list[DocScore] = [next(scored) if failure is None else failed(failure) for failure in prepared.failures]
    if on_batch is not None:  # documents that never reach the model: unreadable, untokenizable
        on_batch(len(prepared.records) - len(todo), 0)
    counts, errors = account(prepared, results, job.settings.on_error)
    counts.real_tokens, counts.padded_tokens = scorer.real_tokens - real, scorer.padded_tokens - padded
    counts.busy_seconds = scorer.busy_seconds - busy
    rundir.write_chunk(prepared.source, prepared.chunk, score_table(prepared, results), errors)
    return counts


def account(prepared: PreparedChunk, results: list[DocScore], on_error: str = "skip") -> tuple[ChunkCounts, list[dict]]:
    """Book every record of a chunk: scored, or an errors entry (its reason) - or, under
    on_error="fail", a BadRecordError at the first that has no score."""
    records = prepared.records
    counts = ChunkCounts(prepared.source, prepared.chunk, len(records))
    errors = []
    by_position = dict(zip(prepared.usable, results, strict=True))
    for position, record in enumerate(records):
        result = by_position.get(position)
        reason = record.error if result is None else result.reason
        if result is not None and result.score is None and reason is None:
            reason = "no score"
        if reason is None:
            counts.scored += 1
            if record.flag:
                counts.flags[record.flag] = counts.flags.get(record.flag, 0) + 1
            continue
        if on_error == "fail":
            raise fail_at(record, reason)
        errors.append(entry(record, _printable(reason)))
        counts.reasons[reason_kind(reason)] = counts.reasons.get(reason_kind(reason), 0) + 1
        if result is None:
            counts.unreadable += 1
        else:
            counts.unscored += 1
    counts.tokens = sum(r.n_tokens for r in results)
    counts.check()
    return counts, errors


def _printable(text: str | None) -> str | None:
    """A string Parquet and JSON can hold (lone surrogates from an exception message replaced)."""
    return None if text is None else text.encode("utf-8", "replace").decode("utf-8")


def score_table(prepared: PreparedChunk, results: list[DocScore]) -> pa.Table:
    """The score rows of a chunk's usable records (SCORE_SCHEMA)."""
    columns: dict[str, list] = {name: [] for name in SCORE_SCHEMA.names}
    for k, (position, result) in enumerate(zip(prepared.usable, results, strict=True)):
        record = prepared.records[position]
        row = {
            "id": record.id,
            "domain": record.domain,
            "source": record.source,
            "row": record.row,
            "n_tokens": result.n_tokens,
            "loss_base": result.loss_base,
            "loss_masked": result.loss_masked,
            "score": result.score,
            "reason": _printable(result.reason),
            "truncated": result.truncated,
            "flag": record.flag,
            "text_hash": prepared.hashes[k],
        }
        row |= {name: prepared.measures[k][name] for name in MEASURE_COLUMNS}
        for name, value in row.items():
            columns[name].append(value)
    return pa.table(columns, schema=SCORE_SCHEMA)
