"""Resumable, sharded scoring runs: where each shard keeps its chunks under DIR/scores/, how a
restart finds the finished ones, and whether the whole run is complete.

    DIR/scores/s00001-of-00003-c000004.parquet       scores of chunk 4 of shard 1 (atomic)
    DIR/scores/s00001-of-00003-c000004.errors.jsonl  its unreadable records (written first)
    DIR/scores/_s00001-of-00003.plan.json            how shard 1 is cut into chunks
    DIR/scores/_shard-00001-of-00003.done            shard 1 finished (JSON summary)
    DIR/scores/s00000-of-00001-c000003-000001.parquet the Ray engine: chunk 1 of slice 3
"""

from __future__ import annotations

import json
import re

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.writers import atomic_write_bytes, join, list_files, read_json, write_json, write_table
from attention_influence.distributed.sharding import ShardSlice, shard_name
from attention_influence.errors import RunError

MARKER = re.compile(r"_shard-(\d{5})-of-(\d{5})\.done$")
STARTED = re.compile(r"(?:^|/)_?s(\d{5})-of-(\d{5})(?:-c\d{6}(?:-\d{6})?\.parquet$|\.plan\.json$)")  # a shard began


class ResumeError(RunError):
    """A restart whose chunking differs from the interrupted run's."""


class IncompleteRunError(RunError):
    """`select` ran before every shard of the scoring run finished."""


def _chunk(chunk: int | str) -> str:
    """Chunk 4 of the local engine is c000004; the Ray engine names chunk j of slice i c<i>-<j>."""
    return f"c{chunk:06d}" if isinstance(chunk, int) else f"c{chunk}"


def part_path(out: str, num_shards: int, shard_index: int, chunk: int | str) -> str:
    return join(out, "scores", f"{shard_name(num_shards, shard_index)}-{_chunk(chunk)}.parquet")


def chunk_errors_path(out: str, num_shards: int, shard_index: int, chunk: int | str) -> str:
    return join(out, "scores", f"{shard_name(num_shards, shard_index)}-{_chunk(chunk)}.errors.jsonl")


def marker_path(out: str, num_shards: int, shard_index: int) -> str:
    return join(out, "scores", f"_shard-{shard_index:05d}-of-{num_shards:05d}.done")


def errors_path(out: str, num_shards: int, shard_index: int) -> str:
    """DIR/errors.jsonl for an unsharded run, else DIR/errors-s00001-of-00003.jsonl."""
    name = "errors.jsonl" if num_shards == 1 else f"errors-{shard_name(num_shards, shard_index)}.jsonl"
    return join(out, name)


def _names(out: str) -> list[str]:
    fs, _, (local,) = fsspec.get_fs_token_paths(join(out, "scores"))
    if not fs.exists(local):
        return []
    return [p[len(local.rstrip("/")) + 1 :] for p in fs.find(local, withdirs=True)]


def check_complete(out: str) -> int:
    """The run's number of shards; raises IncompleteRunError unless every shard is done."""
    names = _names(out)
    done = {(int(m[2]), int(m[1])) for m in map(MARKER.search, names) if m}
    started = {int(m[2]) for m in map(STARTED.search, names) if m} | {n for n, _ in done}
    if not started and list_files(join(out, "scores"), ".parquet"):
        return 1  # written before shards existed (or by hand): nothing to wait for
    if len(started) > 1:
        raise IncompleteRunError(
            f"{join(out, 'scores')} mixes runs with different --num-shards {sorted(started)}: use one per folder"
        )
    if not started:
        return 0
    (num_shards,) = started
    missing = [i for i in range(num_shards) if (num_shards, i) not in done]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise IncompleteRunError(
            f"scoring is incomplete: {len(missing)} of {num_shards} shards not finished (shard index {shown}); "
            "run (or restart) `attninf score ... --num-shards "
            f"{num_shards} --shard-index I` for each, then select again"
        )
    return num_shards


def exists(path: str) -> bool:
    fs, _, (local,) = fsspec.get_fs_token_paths(path)
    return fs.exists(local)


def start_shard(out: str, num_shards: int, shard_index: int, slices: list[ShardSlice], chunk_docs: int) -> None:
    """Record how the shard is cut into chunks (or check a restart cuts it the same way), and
    drop temporaries a killed run left behind."""
    if chunk_docs < 1:
        raise ValueError(f"--chunk-docs must be at least 1, got {chunk_docs}")
    plan = {"chunk_docs": chunk_docs, "slices": [[s.path, s.start, s.stop] for s in slices]}
    path = join(out, "scores", f"_{shard_name(num_shards, shard_index)}.plan.json")
    if exists(path):
        before = read_json(path)
        if before != plan:
            raise ResumeError(
                f"{path} was written with other inputs or --chunk-docs {before.get('chunk_docs')}: restart with "
                "the same command, or use a new --out"
            )
    else:
        write_json(path, plan)
    fs, _, (local,) = fsspec.get_fs_token_paths(join(out, "scores"))
    prefix = f"{local.rstrip('/')}/{shard_name(num_shards, shard_index)}-c"
    for leftover in fs.glob(f"{prefix}*.tmp-*"):
        fs.rm(leftover)


def write_chunk(
    out: str, num_shards: int, shard_index: int, chunk: int | str, table: pa.Table, errors: list[dict]
) -> None:
    """Errors first, then the part file: a part on disk means the whole chunk is done."""
    if errors:
        rows = "".join(json.dumps(e) + "\n" for e in errors).encode()
        atomic_write_bytes(chunk_errors_path(out, num_shards, shard_index, chunk), rows)
    write_table(part_path(out, num_shards, shard_index, chunk), table)


def read_errors(path: str) -> list[dict]:
    """The entries of an errors file (none when it does not exist)."""
    if not exists(path):
        return []
    with fsspec.open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines() if line.strip()]


def read_chunk(out: str, num_shards: int, shard_index: int, chunk: int) -> tuple[pa.Table, list[dict]]:
    """A finished chunk's score columns and errors."""
    with fsspec.open(part_path(out, num_shards, shard_index, chunk), "rb") as f:
        table = pq.read_table(f, columns=["n_tokens", "score", "reason"])
    return table, read_errors(chunk_errors_path(out, num_shards, shard_index, chunk))


def finish_shard(out: str, num_shards: int, shard_index: int, summary: dict) -> None:
    """Merge the chunks' errors into one file (in source, row order, whichever engine wrote
    them), then write the completion marker."""
    fs, _, (local,) = fsspec.get_fs_token_paths(join(out, "scores"))
    pattern = f"{local.rstrip('/')}/{shard_name(num_shards, shard_index)}-c*.errors.jsonl"
    errors = [e for path in sorted(fs.glob(pattern)) for e in read_errors(fs.unstrip_protocol(path))]
    errors.sort(key=lambda e: (str(e.get("source") or ""), e.get("row") if e.get("row") is not None else -1))
    atomic_write_bytes(
        errors_path(out, num_shards, shard_index), "".join(json.dumps(e) + "\n" for e in errors).encode()
    )
    write_json(marker_path(out, num_shards, shard_index), summary)
