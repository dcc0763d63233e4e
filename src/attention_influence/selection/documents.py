"""Write the selected documents, with attninf_* columns added; every row is checked against the
text that was scored (its text_hash) before it is written. Memory: one source's selected rows.

Layouts: "per-source" (one file per input file, in its format) or "hf" (sharded Parquet as the
Hugging Face Hub and `datasets` use: selection/hf.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.config import Fields
from attention_influence.corpus.readers import (
    PARQUET_SUFFIXES,
    _compression,
    _record,
    default_domain,
    iter_rows,
    location,
)
from attention_influence.corpus.writers import join, write_jsonl, write_table
from attention_influence.errors import RunError
from attention_influence.runs.schema import text_hash

ADDED_COLUMNS = ("score", "loss_base", "loss_masked", "n_tokens", "domain")
ADDED_PREFIX = "attninf_"  # selected documents get attninf_score, attninf_loss_base, ...


def _output_name(index: int, source: str) -> str:
    return f"{index:05d}-{source.rstrip('/').rsplit('/', 1)[-1]}"


def _by_source(selected: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """(source, its selected rows sorted by row), sources in sorted order."""
    if selected.num_rows == 0:
        return
    selected = selected.take(pc.sort_indices(selected, [("source", "ascending"), ("row", "ascending")]))
    sources = selected["source"].to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
    for start, stop in zip(starts, np.r_[starts[1:], len(sources)], strict=True):
        yield str(sources[start]), selected.slice(start, stop - start)


def _changed(source: str, row: int) -> RunError:
    return RunError(
        f"{location(source, row)}: the text is not the one that was scored (the file changed): score it again"
    )


def write_documents(folder: str, selected: pa.Table, fields: Fields, manifest: dict, selection: dict) -> list[str]:
    """The selected documents in the layout `selection["output_layout"]` names (per-source by
    default); `manifest` and `selection` describe the run and the selection (hf metadata)."""
    if selection.get("output_layout") == "hf":
        from attention_influence.selection.hf import selection_metadata, write_hf

        return write_hf(folder, selected, fields, selection_metadata(manifest, selection))
    return write_selected(folder, selected, fields)


def source_tables(selected: pa.Table, fields: Fields) -> Iterator[tuple[str, pa.Table]]:
    """(source, its selected rows as an Arrow table with the attninf_* columns), source by source,
    every row checked against the text that was scored. JSONL columns whose values mix types are
    kept as JSON text."""
    for source, rows in _by_source(selected):
        added = rows.select(list(ADDED_COLUMNS)).rename_columns([ADDED_PREFIX + c for c in ADDED_COLUMNS])
        wanted, hashes = rows["row"].to_numpy(), rows["text_hash"].to_pylist()
        if source.lower().endswith(PARQUET_SUFFIXES):
            yield source, _parquet_rows(source, wanted, hashes, added, fields)
        else:
            yield source, _arrow(list(_jsonl_rows(source, wanted, hashes, added, fields)))


def _arrow(rows: list[dict]) -> pa.Table:
    """JSON objects as a table: keys in order of first appearance, missing keys null; a column
    Arrow cannot type (mixed types) holds each value as JSON text."""
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values])
    return pa.table(columns)


def write_selected(folder: str, selected: pa.Table, fields: Fields) -> list[str]:
    """Copy the selected rows of every source file into `folder`, same format, scores added."""
    written = []
    for index, (source, rows) in enumerate(_by_source(selected)):
        path = join(folder, _output_name(index, source))
        added = rows.select(list(ADDED_COLUMNS)).rename_columns([ADDED_PREFIX + c for c in ADDED_COLUMNS])
        wanted, hashes = rows["row"].to_numpy(), rows["text_hash"].to_pylist()
        if source.lower().endswith(PARQUET_SUFFIXES):
            write_table(path, _parquet_rows(source, wanted, hashes, added, fields))
        else:
            write_jsonl(path, _jsonl_rows(source, wanted, hashes, added, fields), compression=_compression(source))
        written.append(path)
    return written


def _jsonl_rows(source: str, wanted: np.ndarray, hashes: list[str], added: pa.Table, fields: Fields) -> Iterator[dict]:
    position = {int(row): i for i, row in enumerate(wanted)}
    columns = {name: added[name].to_pylist() for name in added.column_names}
    fallback = fields.domain or default_domain(source)
    found = 0
    for row, obj, error, _ in iter_rows(source):
        i = position.get(row)
        if i is None:
            continue
        record = _record(source, row, obj, fields, fallback) if error is None else None
        if record is None or record.text is None or text_hash(record.text) != hashes[i]:
            raise _changed(source, row)
        found += 1
        yield obj | {name: values[i] for name, values in columns.items()}
    if found != len(wanted):
        raise _changed(source, int(wanted[found]) if found < len(wanted) else int(wanted[-1]))


def _parquet_rows(source: str, wanted: np.ndarray, hashes: list[str], added: pa.Table, fields: Fields) -> pa.Table:
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
    if table.num_rows != len(wanted) or fields.text not in table.column_names:
        raise _changed(source, int(wanted[min(table.num_rows, len(wanted) - 1)]))
    for i, text in enumerate(table[fields.text].to_pylist()):
        if not isinstance(text, str) or text_hash(text) != hashes[i]:
            raise _changed(source, int(wanted[i]))
    for name in added.column_names:
        table = table.append_column(name, added[name])
    return table
