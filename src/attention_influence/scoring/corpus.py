"""Score a whole corpus: read shards, score documents in chunks, write Parquet under DIR/scores/."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import pyarrow as pa

from attention_influence.corpus.readers import Fields, Record, count_rows, expand_inputs, read_records
from attention_influence.corpus.writers import SCORE_SCHEMA, atomic_write_bytes, join, write_json, write_table
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.models import LoadedModel, load_model
from attention_influence.progress import Progress
from attention_influence.scoring.engine import Scorer
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
    padding_fraction: float = 0.0  # share of the batches' token slots that held padding
    peak_memory_bytes: int = 0  # peak RSS (CPU) or CUDA allocator peak

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def _chunks(files: Sequence[str], fields: Fields, size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for path in files:
        for record in read_records(path, fields):
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _table(records: list[Record], results: list) -> pa.Table:
    columns = {name: [] for name in SCORE_SCHEMA.names}
    for record, result in zip(records, results, strict=True):
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
    chunk_docs: int = 4096,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    progress: bool = True,
    shared_prefix: bool = True,
    compile: bool = False,
) -> ScoreSummary:
    """Score every document of `inputs`; write DIR/scores/*.parquet, DIR/errors.jsonl, DIR/run.json."""
    files = expand_inputs([inputs] if isinstance(inputs, str) else inputs)
    fields = fields or Fields()
    loaded = (
        model
        if isinstance(model, LoadedModel)
        else load_model(
            model, device=device, dtype=dtype, trust_remote_code=trust_remote_code, allow_pickle=allow_pickle
        )
    )
    head_set = parse_heads(heads)
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
    write_json(join(out, "run.json"), settings)
    summary = ScoreSummary()
    reasons: Counter = Counter()
    errors: list[dict] = []
    start = time.perf_counter()
    total = sum(n for n in (count_rows(f) for f in files) if n is not None)
    with Progress("score", total=total or None, enabled=progress) as bar:
        # each chunk is also the sorting buffer of the token-budget batches; tokenization runs ahead
        tokenized = prefetch(
            _chunks(files, fields, chunk_docs), lambda c: scorer.tokenize([r.text for r in c if r.error is None])
        )
        for index, (chunk, tokens) in enumerate(tokenized):
            good = [r for r in chunk if r.error is None]
            results = scorer.score_token_lists(tokens)
            write_table(join(out, "scores", f"part-{index:05d}.parquet"), _table(good, results))
            for record in chunk:
                if record.error is not None:
                    errors.append({"source": record.source, "row": record.row, "id": record.id, "reason": record.error})
                    reasons[record.error.split(" (")[0]] += 1
            for result in results:
                if result.reason:
                    reasons[result.reason] += 1
            chunk_tokens = sum(r.n_tokens for r in results)
            summary.records += len(chunk)
            summary.scored += sum(r.score is not None for r in results)
            summary.unscored += sum(r.score is None for r in results)
            summary.errors += len(chunk) - len(good)
            summary.tokens += chunk_tokens
            bar.update(len(chunk), tokens=chunk_tokens)
    summary.seconds = time.perf_counter() - start
    summary.reasons = dict(reasons)
    summary.padding_fraction = scorer.padding_fraction
    summary.peak_memory_bytes = peak_memory_bytes(loaded.device)
    atomic_write_bytes(join(out, "errors.jsonl"), "".join(json.dumps(e) + "\n" for e in errors).encode())
    write_json(join(out, "score_summary.json"), asdict(summary) | {"tokens_per_second": summary.tokens_per_second})
    return summary
