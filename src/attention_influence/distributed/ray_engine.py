"""Score a corpus as a Ray Data pipeline: CPU actors read the shard's slices, cut them into
chunks and tokenize them; an actor pool (one model per GPU, or per CPU slot without GPUs) scores
chunk by chunk and writes each chunk's scores and errors under DIR/scores/ atomically, as the
local engine does. A restart skips the chunks already written, so a killed run loses at most the
chunks in flight; `attninf select` cannot tell the engines apart.

Heads are parsed (or detected) once on the driver and passed to every actor by value.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from itertools import islice

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.readers import Fields, Record, count_rows, expand_inputs
from attention_influence.corpus.writers import join, write_json
from attention_influence.distributed import resume
from attention_influence.distributed.sharding import ShardSlice, read_slice, shard_name, shard_slices
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.measures.repetition import repetition
from attention_influence.preflight import ArgumentError, check_output_location, claim_output
from attention_influence.progress import Progress
from attention_influence.scoring.corpus import ScoreSummary, _table
from attention_influence.scoring.isolate import failed, failure, score_isolated
from attention_influence.scoring.ledger import Ledger, reason_kind
from attention_influence.scoring.memory import peak_memory_bytes

# one row per chunk: its records (JSON: source, row, id, domain, flag, error, repetition) and the
# token ids of its readable records, so a chunk is never split between two scoring actors
CHUNK_SCHEMA = pa.schema(
    [("chunk", pa.string()), ("records", pa.string()), ("input_ids", pa.list_(pa.list_(pa.int32())))]
)


def chunk_name(slice_index: int, chunk: int) -> str:
    """Chunk `chunk` of slice `slice_index`: its files are DIR/scores/<shard>-c<name>.parquet."""
    return f"{slice_index:06d}-{chunk:06d}"


def _import_ray():
    try:
        import ray
    except ImportError as err:
        raise ImportError("--engine ray needs Ray Data: pip install 'attention-influence[ray]'") from err
    return ray


def _load_tokenizer(model: str | None, trust_remote_code: bool):
    """The tokenizer alone (no weights), resolved like `load_model` resolves the model."""
    from pathlib import Path

    from transformers import AutoTokenizer

    from attention_influence.models.loading import DEFAULT_MODEL, convert_gguf, embedded_gguf

    name = model or DEFAULT_MODEL
    if name == DEFAULT_MODEL or name.endswith(".gguf"):
        name = str(convert_gguf(embedded_gguf() if name == DEFAULT_MODEL else Path(name))[0])
    return AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _tokenize(tokenizer, texts: list[str]) -> tuple[list[list[int]], list[str | None]]:
    """Token ids as `Scorer.tokenize` makes them, and per text the failure that stopped it."""
    try:
        return tokenizer(texts, add_special_tokens=True)["input_ids"] if texts else [], [None] * len(texts)
    except Exception:  # noqa: BLE001 - one text breaks the tokenizer: find it, keep the others
        ids, failures = [], []
        for text in texts:
            try:
                ids.append(tokenizer([text], add_special_tokens=True)["input_ids"][0])
                failures.append(None)
            except Exception as err:  # noqa: BLE001
                ids.append([])
                failures.append(failure(err))
        return ids, failures


class ReadChunks:
    """CPU actors: one slice -> a row per chunk that is not scored yet (records + token ids)."""

    def __init__(self, model: str | None, trust_remote_code: bool, fields: dict, out: str, shard: tuple, size: int):
        self.model, self.trust_remote_code, self.fields = model, trust_remote_code, fields
        self.out, self.shard, self.size, self.tokenizer = out, shard, size, None

    def __call__(self, item: pa.Table) -> Iterator[pa.Table]:
        if self.tokenizer is None:
            self.tokenizer = _load_tokenizer(self.model, self.trust_remote_code)
        (item,) = item.to_pylist()
        piece = ShardSlice(item["path"], item["start"], None if item["stop"] < 0 else item["stop"])
        for index, chunk in enumerate(_chunks(read_slice(piece, Fields(**self.fields)), self.size)):
            name = chunk_name(item["index"], index)
            if resume.exists(resume.part_path(self.out, *self.shard, name)):
                continue  # scored before a restart
            good = [r for r in chunk if r.error is None]
            ids, failures = _tokenize(self.tokenizer, [r.text for r in good])
            failed = dict(zip((id(r) for r in good), failures, strict=True))
            records = [
                {"source": r.source, "row": r.row, "id": r.id, "domain": r.domain, "flag": r.flag, "error": r.error}
                | {"failure": failed.get(id(r)), "repetition": None if r.error else repetition(r.text)}
                for r in chunk
            ]
            yield pa.Table.from_pydict(
                {"chunk": [name], "records": [json.dumps(records)], "input_ids": [ids]}, schema=CHUNK_SCHEMA
            )


class ScoreActor:
    """One model per actor, loaded on the first chunk; scores a chunk, writes its files, returns
    its counts. Heads come by value from the driver."""

    def __init__(self, model: str | None, heads: list[list[int]], options: dict, threads: int, out: str, shard: tuple):
        self.model_name, self.heads, self.options, self.threads = model, heads, options, threads
        self.out, self.shard, self.scorer = out, shard, None

    def _load(self):
        import torch

        from attention_influence.models import load_model
        from attention_influence.scoring.engine import Scorer

        torch.set_num_threads(self.threads)
        loaded = load_model(
            self.model_name,
            device=self.options["device"],
            dtype=self.options["dtype"],
            trust_remote_code=self.options["trust_remote_code"],
            allow_pickle=self.options["allow_pickle"],
        )
        keys = ("max_length", "truncate", "batch_tokens", "shared_prefix", "compile")
        return Scorer(loaded, self.heads, **{k: self.options[k] for k in keys})

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.scorer is None:
            self.scorer = self._load()
        counts = []
        for name, records, ids in zip(*(batch[c].to_pylist() for c in CHUNK_SCHEMA.names), strict=True):
            real, padded = self.scorer.real_tokens, self.scorer.padded_tokens
            rows = json.loads(records)
            chunk = [Record(r["source"], r["row"], r["id"], r["domain"], None, r["error"], r["flag"]) for r in rows]
            usable = [i for i, r in enumerate(rows) if r["error"] is None]
            tokens = [t for t, i in zip(ids, usable, strict=True) if rows[i]["failure"] is None]
            scored = iter(score_isolated(self.scorer, None, tokens) if tokens else [])
            results = [next(scored) if rows[i]["failure"] is None else failed(rows[i]["failure"]) for i in usable]
            table = _table([chunk[i] for i in usable], results, [rows[i]["repetition"] for i in usable])
            errors = Ledger("skip").add(chunk, dict(zip(usable, results, strict=True)))
            resume.write_chunk(self.out, *self.shard, name, table, errors)
            counts.append(
                {"chunk": name, "records": len(rows), "tokens": sum(r.n_tokens for r in results)}
                | {"real_tokens": self.scorer.real_tokens - real, "padded_tokens": self.scorer.padded_tokens - padded}
                | {"peak_memory": peak_memory_bytes(self.scorer.loaded.device)}
            )
        return pa.Table.from_pylist(counts)


def _part_files(out: str, num_shards: int, shard_index: int, suffix: str = ".parquet") -> list[str]:
    """The shard's chunk files (complete ones: written atomically) with `suffix`."""
    fs, _, (local,) = fsspec.get_fs_token_paths(join(out, "scores"))
    if not fs.exists(local):
        return []
    return sorted(fs.glob(f"{local.rstrip('/')}/{shard_name(num_shards, shard_index)}-c*{suffix}"))


def _records(out: str, parts: list[str]) -> int:
    """Scored and unscored rows of chunk files, from their footers (for progress)."""
    fs, _, _ = fsspec.get_fs_token_paths(join(out, "scores"))
    rows = 0
    for path in parts:
        with fs.open(path, "rb") as f:
            rows += pq.ParquetFile(f).metadata.num_rows
    return rows


def _summary(out: str, num_shards: int, shard_index: int, seconds: float, resumed: list[str]) -> ScoreSummary:
    """Counts of the shard's chunk files: scores, and errors (unscored documents listed too)."""
    summary, reasons, flags = ScoreSummary(seconds=seconds, resumed_chunks=len(resumed)), Counter(), Counter()
    fs, _, _ = fsspec.get_fs_token_paths(join(out, "scores"))
    before = set(resumed)
    for path in _part_files(out, num_shards, shard_index):
        with fs.open(path, "rb") as f:
            table = pq.read_table(f, columns=["n_tokens", "score", "flag"])
        scored = table.filter(table["score"].is_valid())
        tokens = sum(table["n_tokens"].to_pylist())
        summary.scored += scored.num_rows
        summary.unscored += table.num_rows - scored.num_rows
        summary.tokens += tokens
        summary.resumed_tokens += tokens if path in before else 0
        flags.update(f for f in scored["flag"].to_pylist() if f)
    for path in _part_files(out, num_shards, shard_index, ".errors.jsonl"):
        errors = resume.read_errors(fs.unstrip_protocol(path))
        summary.errors += len(errors)
        reasons.update(reason_kind(e["reason"]) for e in errors)
    summary.errors -= summary.unscored  # listed too, counted once
    summary.records = summary.scored + summary.unscored + summary.errors
    summary.reasons, summary.flags = dict(reasons), dict(flags)
    return summary


def _actor_resources(ray, actors: int | None) -> tuple[int, dict, int]:
    """(actors, Ray resources per actor, torch threads per actor): a GPU each, else CPU slots,
    leaving one CPU for reading and tokenizing (0.5 each)."""
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), max(int(resources.get("CPU", 1)), 1)
    if gpus:
        count = actors or gpus
        return count, {"num_gpus": 1, "num_cpus": 1}, max(1, (cpus - 1) // count)
    count = actors or max(1, cpus - 1)
    per_actor = min(1.0, max(cpus - 1, 1) / count)
    return count, {"num_cpus": per_actor}, max(1, int(per_actor))


def score_corpus_ray(
    inputs: Sequence[str] | str,
    out: str,
    heads: HeadSet | str | list,
    model: str | None = None,
    *,
    address: str | None = None,
    actors: int | None = None,
    fields: Fields | None = None,
    max_length: int | None = None,
    truncate: bool = False,
    batch_tokens: int = 8192,
    chunk_docs: int = 512,
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
    """`score_corpus` on Ray Data: joins the cluster at `address` (default: a local one)."""
    ray = _import_ray()
    if not isinstance(model, str | None):
        raise TypeError("--engine ray loads the model in each actor: pass a model name, not a LoadedModel")
    if on_error != "skip":
        raise ArgumentError("--on-error fail needs --engine local (Ray lists bad records in errors files)")
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    files = expand_inputs(inputs)
    check_output_location(inputs, out)
    slices = shard_slices(files, num_shards, shard_index)
    fields = fields or Fields()
    head_list = [list(h) for h in parse_heads(heads).heads]  # parsed once, shared by value
    marker = resume.marker_path(out, num_shards, shard_index)
    if resume.exists(marker):  # finished before: nothing to redo
        with fsspec.open(marker, "rb") as f:
            done = json.loads(f.read())
        return ScoreSummary(**{k: v for k, v in done.items() if k in ScoreSummary.__dataclass_fields__})
    settings = {
        "engine": "ray",
        "model": model or "embedded",
        "heads": head_list,
        "inputs": files,
        "fields": asdict(fields),
        "max_length": max_length,
        "truncate": truncate,
        "dtype": dtype,
        "device": device,
    }
    claim_output(out, settings, overwrite)
    resume.start_shard(out, num_shards, shard_index, slices, chunk_docs)  # same chunks on a restart
    write_json(join(out, "run.json"), settings)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts documents and tokens
    count, per_actor, threads = _actor_resources(ray, actors)
    options = dict(
        max_length=max_length,
        truncate=truncate,
        batch_tokens=batch_tokens,
        shared_prefix=shared_prefix,
        compile=compile,
        device=device,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
        allow_pickle=allow_pickle,
    )
    items = [
        {"index": i, "path": s.path, "start": s.start, "stop": -1 if s.stop is None else s.stop}
        for i, s in enumerate(slices)
    ]
    shard = (num_shards, shard_index)
    resumed = _part_files(out, *shard)
    start = time.perf_counter()
    ds = ray.data.from_items(items, override_num_blocks=max(len(items), 1))
    ds = ds.map_batches(
        ReadChunks,
        batch_size=1,
        batch_format="pyarrow",
        fn_constructor_args=(model, trust_remote_code, asdict(fields), out, shard, chunk_docs),
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=count),
        num_cpus=0.5,
    )
    ds = ds.repartition(target_num_rows_per_block=1)  # a block per chunk: chunks spread over the actors
    ds = ds.map_batches(
        ScoreActor,
        batch_size=1,
        batch_format="pyarrow",
        fn_constructor_args=(model, head_list, options, threads, out, shard),
        compute=ray.data.ActorPoolStrategy(size=count),
        **per_actor,
    )
    total = sum(n for n in (count_rows(s.path) for s in slices) if n is not None) if num_shards == 1 else 0
    work = Counter()
    with Progress("score", total=total or None, enabled=progress) as bar:
        bar.update(_records(out, resumed), tokens=0)
        for done in ds.iter_rows():
            bar.update(done["records"], tokens=done["tokens"])
            work.update(real=done["real_tokens"], padded=done["padded_tokens"])
            work["peak"] = max(work["peak"], done["peak_memory"])
    summary = _summary(out, num_shards, shard_index, time.perf_counter() - start, resumed)
    summary.padding_fraction = 1 - work["real"] / work["padded"] if work["padded"] else 0.0
    summary.peak_memory_bytes = work["peak"]  # the largest of any actor's
    report = asdict(summary) | {"tokens_per_second": summary.tokens_per_second, "engine": "ray", "actors": count}
    resume.finish_shard(out, num_shards, shard_index, report)
    if num_shards == 1:
        write_json(join(out, "score_summary.json"), report)
    return summary
