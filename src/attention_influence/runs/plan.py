"""Cut a run into chunks and shards, the same way for every executor.

Chunk c of source s holds rows [c x chunk_docs, (c + 1) x chunk_docs) of that file, whatever
the shard count: its scores are DIR/scores/part-<s>-<c>.parquet, so a local run, a Ray run, N
Slurm tasks and a datatrove pipeline write the same part files. A shard is a set of chunks: whole
files (file k goes to shard k mod N) when there are at least N files, else a contiguous range
of the chunks of the concatenated files (few, large files). Every row lands in exactly one
shard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from attention_influence.corpus.readers import exact_rows


@dataclass(frozen=True)
class ChunkRange:
    """Chunks [first, stop) of source `source` (its index in the manifest); stop None: to the end."""

    source: int
    path: str
    first: int = 0
    stop: int | None = None

    def rows(self, chunk_docs: int) -> tuple[int, int | None]:
        """The rows [start, stop) the range covers (stop None: to the end of the file)."""
        return self.first * chunk_docs, None if self.stop is None else self.stop * chunk_docs


def shard_plan(
    sources: Sequence[str],
    chunk_docs: int,
    num_shards: int = 1,
    shard_index: int = 0,
    count: Callable[[str], int] = exact_rows,
) -> list[ChunkRange]:
    """The chunk ranges shard `shard_index` of `num_shards` scores; `sources` in manifest order."""
    if num_shards == 1:
        return [ChunkRange(i, path) for i, path in enumerate(sources)]
    if len(sources) >= num_shards:
        return [ChunkRange(i, path) for i, path in enumerate(sources) if i % num_shards == shard_index]
    chunks = [-(-count(path) // chunk_docs) for path in sources]  # ceil: chunks per file
    total = sum(chunks)
    low, high = total * shard_index // num_shards, total * (shard_index + 1) // num_shards
    ranges, offset = [], 0
    for index, (path, n) in enumerate(zip(sources, chunks, strict=True)):
        first, stop = max(low - offset, 0), min(high - offset, n)
        if first < stop:
            ranges.append(ChunkRange(index, path, first, None if stop == n else stop))
        offset += n
    return ranges
