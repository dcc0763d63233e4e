"""Split a corpus deterministically into N shards: by file when there are at least N files,
else by row range over the concatenated rows (few large files). Every row lands in exactly one
shard, whatever N is, so N independent processes (Slurm array tasks) together cover the corpus."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fsspec

from attention_influence.corpus.readers import (
    PARQUET_SUFFIXES,
    Fields,
    Record,
    _compression,
    _record,
    default_domain,
    iter_rows,
    read_records,
)
from attention_influence.errors import UserError


class ShardError(UserError):
    """Bad --num-shards/--shard-index, or an input whose rows cannot be counted."""


@dataclass(frozen=True)
class ShardSlice:
    """Rows [start, stop) of one file; stop None = to the end of the file."""

    path: str
    start: int = 0
    stop: int | None = None


def exact_rows(path: str) -> int:
    """Rows of a file as the readers number them: Parquet metadata, or JSONL lines (a last line
    without a trailing newline counts). A damaged or unreadable file counts as the readers see
    it: its sound rows, then one row for the damage."""
    try:
        return _counted_rows(path)
    except Exception:  # noqa: BLE001 - EOFError, zlib/zstd/Arrow errors, OSError: let the reader say
        return max((row for row, *_ in iter_rows(path)), default=-1) + 1


def _counted_rows(path: str) -> int:
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        with fsspec.open(path, "rb") as f:
            return pq.ParquetFile(f).metadata.num_rows
    count, last = 0, b"\n"
    with fsspec.open(path, "rb", compression=_compression(path)) as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def validate_shard(num_shards: int, shard_index: int) -> None:
    if num_shards < 1:
        raise ShardError(f"--num-shards must be at least 1, got {num_shards}")
    if not 0 <= shard_index < num_shards:
        raise ShardError(f"--shard-index must be in [0, {num_shards - 1}], got {shard_index}")


def shard_slices(files: Sequence[str], num_shards: int = 1, shard_index: int = 0, count=exact_rows) -> list[ShardSlice]:
    """The slices of sorted `files` that shard `shard_index` of `num_shards` reads."""
    validate_shard(num_shards, shard_index)
    files = sorted(files)
    if num_shards == 1:
        return [ShardSlice(f) for f in files]
    if len(files) >= num_shards:
        return [ShardSlice(f) for f in files[shard_index::num_shards]]
    counts = [count(f) for f in files]
    total = sum(counts)
    low, high = total * shard_index // num_shards, total * (shard_index + 1) // num_shards
    slices, offset = [], 0
    for path, rows in zip(files, counts, strict=True):
        start, stop = max(low - offset, 0), min(high - offset, rows)
        if start < stop:
            last_shard_of_file = high - offset >= rows  # read to the end: robust to a grown last line
            slices.append(ShardSlice(path, start, None if last_shard_of_file else stop))
        offset += rows
    return slices


def _parquet_slice(piece: ShardSlice, fields: Fields) -> Iterator[Record]:
    """Only the row groups that overlap the slice are read."""
    import pyarrow.parquet as pq

    fallback = fields.domain or default_domain(piece.path)
    row = piece.start
    try:
        with fsspec.open(piece.path, "rb") as f:
            parquet, offset = pq.ParquetFile(f), 0
            for group in range(parquet.num_row_groups):
                rows = parquet.metadata.row_group(group).num_rows
                if offset + rows > piece.start and (piece.stop is None or offset < piece.stop):
                    for row, obj in enumerate(parquet.read_row_group(group).to_pylist(), start=offset):
                        yield _record(piece.path, row, obj, fields, fallback)
                    row = offset + rows
                offset += rows
    except Exception as err:  # noqa: BLE001 - a damaged file is one listed record, as in read_records
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        yield Record(piece.path, row, f"{piece.path}:{row}", fallback, None, f"unreadable Parquet data ({first})")


def read_slice(piece: ShardSlice, fields: Fields | None = None) -> Iterator[Record]:
    """The records of one slice, in file order."""
    fields = fields or Fields()
    whole = piece.start == 0 and piece.stop is None
    is_parquet = piece.path.lower().endswith(PARQUET_SUFFIXES)
    records = (
        _parquet_slice(piece, fields) if is_parquet and not whole else read_records(piece.path, fields, piece.start)
    )
    for record in records:
        if piece.stop is not None and record.row >= piece.stop:
            return
        if record.row >= piece.start:
            yield record


def shard_name(num_shards: int, shard_index: int) -> str:
    """`s00001-of-00003`: the prefix of every file a shard writes."""
    return f"s{shard_index:05d}-of-{num_shards:05d}"
