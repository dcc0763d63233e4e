"""Write the selected documents source file by source file (one input shard at a time), in the
input's format, with attninf_* columns added; memory: one source's selected rows."""

from __future__ import annotations

from collections.abc import Iterator

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.corpus.readers import PARQUET_SUFFIXES, _compression, iter_raw
from attention_influence.corpus.writers import join, list_files, write_jsonl, write_table

ADDED_COLUMNS = ("score", "loss_base", "loss_masked", "n_tokens", "domain")
ADDED_PREFIX = "attninf_"  # selected documents get attninf_score, attninf_loss_base, ...


def _output_name(index: int, source: str) -> str:
    return f"{index:05d}-{source.rstrip('/').rsplit('/', 1)[-1]}"


def _by_source(selected: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """(source, its selected rows sorted by row), sources in sorted order."""
    selected = selected.take(pc.sort_indices(selected, [("source", "ascending"), ("row", "ascending")]))
    sources = selected["source"].to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]]) if len(sources) else np.array([], int)
    for start, stop in zip(starts, np.r_[starts[1:], len(sources)], strict=True):
        yield str(sources[start]), selected.slice(start, stop - start)


def write_selected(out: str, selected: pa.Table) -> list[str]:
    """Copy the selected rows of every source file to DIR/selected/, same format, scores added;
    files an earlier selection left there are removed once the new ones are written."""
    earlier = list_files(join(out, "selected"), "")
    written = []
    for index, (source, rows) in enumerate(_by_source(selected)):
        path = join(out, "selected", _output_name(index, source))
        added = rows.select(list(ADDED_COLUMNS)).rename_columns([ADDED_PREFIX + c for c in ADDED_COLUMNS])
        wanted = rows["row"].to_numpy()
        if source.lower().endswith(PARQUET_SUFFIXES):
            write_table(path, _parquet_rows(source, wanted, added))
        else:
            write_jsonl(path, _jsonl_rows(source, wanted, added), compression=_compression(source))
        written.append(path)
    stale = set(earlier) - set(written)
    if stale:
        fs, _, paths = fsspec.get_fs_token_paths(sorted(stale))
        fs.rm(paths)
    return written


def _jsonl_rows(source: str, wanted: np.ndarray, added: pa.Table) -> Iterator[dict]:
    position = {int(row): i for i, row in enumerate(wanted)}
    columns = {name: added[name].to_pylist() for name in added.column_names}
    for row, obj, error in iter_raw(source):
        if row in position and error is None and isinstance(obj, dict):
            i = position[row]
            yield obj | {name: values[i] for name, values in columns.items()}


def _parquet_rows(source: str, wanted: np.ndarray, added: pa.Table) -> pa.Table:
    """The `wanted` rows (sorted) of a Parquet file, read row group by row group: memory holds
    one group and the rows kept so far, not the whole file."""
    pieces, offset = [], 0
    with fsspec.open(source, "rb") as f:
        parquet = pq.ParquetFile(f)
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            lo, hi = np.searchsorted(wanted, [offset, offset + rows])
            if hi > lo:
                pieces.append(parquet.read_row_group(group).take(pa.array(wanted[lo:hi] - offset, type=pa.int64())))
            offset += rows
        table = pa.concat_tables(pieces) if pieces else parquet.schema_arrow.empty_table()
    for name in added.column_names:
        table = table.append_column(name, added[name])
    return table
