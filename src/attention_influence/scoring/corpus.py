"""Score a whole corpus: read shards, score documents in chunks, write Parquet under DIR/scores/."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import pyarrow as pa

from attention_influence.corpus.readers import Fields, Record, count_rows, expand_inputs
from attention_influence.corpus.writers import SCORE_SCHEMA, exists, join, write_json
from attention_influence.distributed import resume
from attention_influence.distributed.sharding import ShardSlice, read_slice, shard_slices
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.measures.repetition import repetition
from attention_influence.models import LoadedModel, load_model
from attention_influence.preflight import check_heads_model, check_output_location, claim_output
from attention_influence.progress import Progress
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.isolate import score_isolated
from attention_influence.scoring.ledger import Ledger
from attention_influence.scoring.memory import peak_memory_bytes
from attention_influence.scoring.prefetch import prefetch


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    records: int = 0
    scored: int = 0
    unscored: int = 0  # listed in the scores with a reason (e.g. fewer than 2 tokens)
    errors: int = 0  # listed in errors.jsonl
    tokens: int = 0
    seconds: float = 0.0
    reasons: dict = field(default_factory=dict)
    resumed_chunks: int = 0  # chunks found complete on disk and not scored again
    resumed_tokens: int = 0
    flags: dict = field(default_factory=dict)  # scored records repaired on the way (invalid UTF-8)
    padding_fraction: float = 0.0  # share of the batches' token slots that held padding
    peak_memory_bytes: int = 0  # peak RSS (CPU) or CUDA allocator peak

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - self.resumed_tokens) / self.seconds if self.seconds else 0.0


def _chunks(slices: Sequence[ShardSlice], fields: Fields, size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for piece in slices:
        for record in read_slice(piece, fields):
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _table(records: list[Record], results: list, repetitions: list[float] | None = None) -> pa.Table:
    """Score rows; `repetitions` when the records no longer carry their text (the Ray engine)."""
    columns = {name: [] for name in SCORE_SCHEMA.names}
    if repetitions is None:
        repetitions = [repetition(record.text) for record in records]
    for record, result, repeated in zip(records, results, repetitions, strict=True):
        for name, value in (
            ("id", record.id),
            ("domain", record.domain),
            ("source", record.source),
            ("row", record.row),
            ("n_tokens", result.n_tokens),
            ("loss_base", result.loss_base),
            ("loss_masked", result.loss_masked),
            ("score", result.score),
            ("reason", result.reason),
            ("truncated", result.truncated),
            ("repetition", repeated),
            ("flag", record.flag),
        ):
            columns[name].append(value)
    return pa.table(columns, schema=SCORE_SCHEMA)


def score_corpus(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list,
    model: LoadedModel | str | None = None,
    *,
    fields: Fields | None = None,
    max_length: int | None = None,
    truncate: bool = False,
    batch_tokens: int = 8192,
    chunk_docs: int = 1024,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    progress: bool = True,
    num_shards: int = 1,
    shard_index: int = 0,
    on_error: str = "skip",
    overwrite: bool = False,
    shared_prefix: bool = True,
    compile: bool = False,
) -> ScoreSummary:
    """Score every document of `inputs` (of shard `shard_index` of `num_shards`); write
    DIR/scores/*.parquet chunk by chunk (a restart skips complete chunks), DIR/errors.jsonl
    (DIR/errors-<shard>.jsonl when sharded), DIR/run.json and a completion marker per shard.

    Every record read gets a score or a line in the errors file; `on_error="fail"` raises
    BadRecordError at the first instead. DIR holding a run with other settings is refused
    unless `overwrite`."""
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    ledger = Ledger(on_error)
    files = expand_inputs(inputs)
    check_output_location(inputs, out)
    slices = shard_slices(files, num_shards, shard_index)
    fields = fields or Fields()
    loaded = (
        model
        if isinstance(model, LoadedModel)
        else load_model(
            model, device=device, dtype=dtype, trust_remote_code=trust_remote_code, allow_pickle=allow_pickle
        )
    )
    head_set = parse_heads(heads)
    check_heads_model(head_set.model_fingerprint, head_set.source, loaded.name, loaded.fingerprint)
    scorer = Scorer(
        loaded,
        head_set,
        max_length=max_length,
        truncate=truncate,
        batch_tokens=batch_tokens,
        shared_prefix=shared_prefix,
        compile=compile,
    )
    settings = {
        "model": loaded.name,
        "fingerprint": loaded.fingerprint,
        "heads": [list(h) for h in scorer.heads],
        "inputs": files,
        "fields": asdict(fields),
        "max_length": scorer.max_length,
        "truncate": truncate,
        "dtype": str(loaded.dtype).removeprefix("torch."),
        "device": str(loaded.device),
    }
    claim_output(out, settings, overwrite)
    resume.start_shard(out, num_shards, shard_index, slices, chunk_docs)
    write_json(join(out, "run.json"), settings)
    if head_set.info and not exists(join(out, "heads.json")):  # heads came from a heads.json: keep a copy
        write_json(join(out, "heads.json"), head_set.info)
    summary = ScoreSummary()
    start = time.perf_counter()
    total = sum(n for n in (count_rows(s.path) for s in slices) if n is not None) if num_shards == 1 else 0
    with Progress("score", total=total or None, enabled=progress) as bar:
        # each chunk is also the sorting buffer of the token-budget batches; tokenization runs ahead
        def tokenize(item: tuple[int, list[Record]]) -> list[list[int]] | None:
            index, chunk = item
            if resume.exists(resume.part_path(out, num_shards, shard_index, index)):
                return None  # resumed: not scored again
            try:
                return scorer.tokenize([r.text for r in chunk if r.error is None])
            except Exception:  # noqa: BLE001 - score_isolated retries document by document
                return None

        for (index, chunk), tokens in prefetch(enumerate(_chunks(slices, fields, chunk_docs)), tokenize):
            part = resume.part_path(out, num_shards, shard_index, index)
            if resume.exists(part):  # done before a restart: count it, do not score it again
                table, errors = resume.read_chunk(out, num_shards, shard_index, index)
                ledger.add_done(len(chunk), table, errors)
                summary.resumed_chunks += 1
                summary.resumed_tokens += sum(table["n_tokens"].to_pylist())
            else:
                ledger.check_records(chunk)
                usable = [i for i, r in enumerate(chunk) if r.error is None]
                good = [chunk[i] for i in usable]
                results = score_isolated(scorer, [r.text for r in good], tokens)
                table = _table(good, results)
                errors = ledger.add(chunk, dict(zip(usable, results, strict=True)))
                resume.write_chunk(out, num_shards, shard_index, index, table, errors)
            chunk_tokens = sum(table["n_tokens"].to_pylist())
            summary.records += len(chunk)
            summary.scored += table.num_rows - table["score"].null_count
            summary.unscored += table["score"].null_count
            summary.errors += len(errors) - table["score"].null_count  # unscored documents are listed too
            summary.tokens += chunk_tokens
            bar.update(len(chunk), tokens=chunk_tokens)
    summary.seconds = time.perf_counter() - start
    ledger.check()
    summary.reasons, summary.flags = dict(ledger.reasons), dict(ledger.flags)
    summary.padding_fraction = scorer.padding_fraction
    summary.peak_memory_bytes = peak_memory_bytes(loaded.device)
    report = asdict(summary) | {"tokens_per_second": summary.tokens_per_second}
    resume.finish_shard(out, num_shards, shard_index, report)
    if num_shards == 1:
        write_json(join(out, "score_summary.json"), report)
    return summary
