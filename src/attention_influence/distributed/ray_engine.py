"""Score a corpus as a Ray Data pipeline: read shard slices and tokenize on CPU workers, score in
an actor pool (one model per GPU, or per CPU slot without GPUs), write Parquet under DIR/scores/.

Heads are parsed (or detected) once on the driver and passed to every actor by value. The output
is the local engine's: the same score columns, errors.jsonl and a completion marker per shard, so
`attninf select` cannot tell the engines apart. A shard restarts whole (Ray writes its files
non-atomically); a finished shard is not scored again.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.readers import Fields, Record, expand_inputs
from attention_influence.corpus.writers import atomic_write_bytes, join, list_files, write_json
from attention_influence.distributed import resume
from attention_influence.distributed.sharding import ShardSlice, read_slice, shard_name, shard_slices
from attention_influence.heads import HeadSet, parse_heads
from attention_influence.preflight import ArgumentError, check_output_location, claim_output
from attention_influence.scoring.corpus import ScoreSummary, _table
from attention_influence.scoring.ledger import reason_kind
from attention_influence.selection.repetition import repetition

TOKEN_SCHEMA = pa.schema(
    [("id", pa.string()), ("domain", pa.string()), ("source", pa.string()), ("row", pa.int64())]
    + [("flag", pa.string()), ("repetition", pa.float64()), ("input_ids", pa.list_(pa.int32()))]
)


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


def _read_batches(item: pa.Table, fields: dict, out: str, shard: tuple[int, int], size: int) -> Iterator[pa.Table]:
    """One slice -> tables of its readable records; its unreadable ones go to an errors file."""
    (item,) = item.to_pylist()
    piece = ShardSlice(item["path"], item["start"], None if item["stop"] < 0 else item["stop"])
    rows, errors = [], []
    for record in read_slice(piece, Fields(**fields)):
        if record.error is not None:
            errors.append({"source": record.source, "row": record.row, "id": record.id, "reason": record.error})
            continue
        rows.append({"id": record.id, "domain": record.domain, "source": record.source, "row": record.row})
        rows[-1] |= {"flag": record.flag, "text": record.text}
        if len(rows) >= size:
            yield pa.Table.from_pylist(rows)
            rows = []
    if rows:
        yield pa.Table.from_pylist(rows)
    if errors:  # named by slice: a retried task rewrites the same file
        lines = "".join(json.dumps(e) + "\n" for e in errors).encode()
        atomic_write_bytes(resume.chunk_errors_path(out, *shard, item["index"]), lines)


class Tokenize:
    """CPU workers: text -> token ids, exactly as `Scorer.tokenize` does."""

    def __init__(self, model: str | None, trust_remote_code: bool):
        self.model, self.trust_remote_code, self.tokenizer = model, trust_remote_code, None

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.tokenizer is None:
            self.tokenizer = _load_tokenizer(self.model, self.trust_remote_code)
        texts = batch["text"].to_pylist()
        ids = self.tokenizer(texts, add_special_tokens=True)["input_ids"]
        columns = [batch[name].cast(TOKEN_SCHEMA.field(name).type) for name in TOKEN_SCHEMA.names[:-2]]
        columns += [pa.array([repetition(t) for t in texts], pa.float64()), pa.array(ids, pa.list_(pa.int32()))]
        return pa.Table.from_arrays(columns, schema=TOKEN_SCHEMA)


class ScoreActor:
    """One model per actor, loaded on the first batch; heads come by value from the driver."""

    def __init__(self, model: str | None, heads: list[list[int]], options: dict, threads: int):
        self.model_name, self.heads, self.options, self.threads = model, heads, options, threads
        self.scorer = None

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
        results = self.scorer.score_token_lists(batch["input_ids"].to_pylist())
        rows = batch.drop(["input_ids"]).to_pylist()
        records = [Record(r["source"], r["row"], r["id"], r["domain"], None, flag=r["flag"]) for r in rows]
        return _table(records, results, [r["repetition"] for r in rows])


def _filesystem(path: str):
    """(pyarrow filesystem or None, path) for Ray's writer; fsspec URLs go through FSSpecHandler."""
    if "://" not in path or path.startswith("file://"):
        return None, path.removeprefix("file://")
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    return PyFileSystem(FSSpecHandler(fs)), local


def _list_unscored(out: str, folder: str, num_shards: int, shard_index: int, chunk: int) -> None:
    """Book the scored-but-unscorable documents (e.g. fewer than 2 tokens) in an errors file, as
    the local engine does: every record read is scored or listed."""
    entries = []
    for path in list_files(folder, ".parquet"):
        with fsspec.open(path, "rb") as f:
            table = pq.read_table(f, columns=["source", "row", "id", "reason", "score"])
        entries += [
            {"source": r["source"], "row": r["row"], "id": r["id"], "reason": r["reason"] or "no score"}
            for r in table.filter(table["score"].is_null()).to_pylist()
        ]
    if entries:
        entries.sort(key=lambda e: (e["source"], e["row"]))
        atomic_write_bytes(
            resume.chunk_errors_path(out, num_shards, shard_index, chunk),
            "".join(json.dumps(e) + "\n" for e in entries).encode(),
        )


def _summary(out: str, folder: str, num_shards: int, shard_index: int, seconds: float) -> ScoreSummary:
    """Counts of the shard's score files; errors (unscored documents included) from its errors files."""
    summary, reasons = ScoreSummary(seconds=seconds), Counter()
    for path in list_files(folder, ".parquet"):
        with fsspec.open(path, "rb") as f:
            table = pq.read_table(f, columns=["n_tokens", "score"])
        summary.scored += table.num_rows - table["score"].null_count
        summary.unscored += table["score"].null_count
        summary.tokens += sum(table["n_tokens"].to_pylist())
    fs, _, (local,) = fsspec.get_fs_token_paths(join(out, "scores"))
    for path in fs.glob(f"{local.rstrip('/')}/{shard_name(num_shards, shard_index)}-c*.errors.jsonl"):
        with fs.open(path, "rb") as f:
            errors = [json.loads(line) for line in f.read().splitlines() if line.strip()]
        summary.errors += len(errors)
        reasons.update(reason_kind(e["reason"]) for e in errors)
    summary.errors -= summary.unscored  # listed too, counted once
    summary.records = summary.scored + summary.unscored + summary.errors
    summary.reasons = dict(reasons)
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
    folder = join(out, "scores", f"{shard_name(num_shards, shard_index)}-ray")
    fs, _, (local_folder,) = fsspec.get_fs_token_paths(folder)
    if fs.exists(local_folder):  # an interrupted Ray run: its files may be partial, redo the shard
        fs.rm(local_folder, recursive=True)
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
    write_json(join(out, "run.json"), settings)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = progress
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
    start = time.perf_counter()
    ds = ray.data.from_items(items, override_num_blocks=max(len(items), 1))
    ds = ds.map_batches(
        _read_batches,
        batch_size=1,
        batch_format="pyarrow",
        fn_kwargs={"fields": asdict(fields), "out": out, "shard": (num_shards, shard_index), "size": chunk_docs},
        num_cpus=0.5,
    )
    ds = ds.map_batches(
        Tokenize,
        batch_size=chunk_docs,
        batch_format="pyarrow",
        fn_constructor_args=(model, trust_remote_code),
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=count),
        num_cpus=0.5,
    )
    ds = ds.repartition(target_num_rows_per_block=chunk_docs)  # spread the documents over the actors
    ds = ds.map_batches(
        ScoreActor,
        batch_size=chunk_docs,
        batch_format="pyarrow",
        fn_constructor_args=(model, head_list, options, threads),
        compute=ray.data.ActorPoolStrategy(size=count),
        **per_actor,
    )
    filesystem, path = _filesystem(folder)
    ds.write_parquet(path, filesystem=filesystem)
    _list_unscored(out, folder, num_shards, shard_index, len(items))  # after the slices' own errors files
    summary = _summary(out, folder, num_shards, shard_index, time.perf_counter() - start)
    report = asdict(summary) | {"tokens_per_second": summary.tokens_per_second, "engine": "ray", "actors": count}
    resume.finish_shard(out, num_shards, shard_index, report)
    if num_shards == 1:
        write_json(join(out, "score_summary.json"), report)
    return summary
