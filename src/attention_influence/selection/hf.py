"""The selected documents as a Hugging Face dataset (`--output-layout hf`): sharded Parquet files
DIR/selected/data/train-00000-of-0000N.parquet, the layout the Hub and `datasets` use, so that
`datasets.load_dataset("parquet", data_dir="DIR/selected")` (or `load_dataset("DIR/selected")`)
reads them as one train split.

Every file has one schema (the input files' columns unified; a column missing from a file is
null) and carries, under the key "attention_influence" of its key-value metadata, how the
selection was made: model, heads, fraction, by, the other selection settings (the
guard's thresholds) and the threshold of each domain. Shards hold about SHARD_BYTES of
Arrow data each; row groups about ROW_GROUP_BYTES.

The rows are checked against the text that was scored (selection/documents.py), staged source by
source in a hidden folder, then cut into shards; the caller writes into RunDir's temporary folder,
which is swapped in whole."""

from __future__ import annotations

import json
import math

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from attention_influence.config import Fields
from attention_influence.corpus.writers import join
from attention_influence.selection.documents import source_tables

SHARD_BYTES = 256 << 20  # Arrow bytes per shard (the Hub's push_to_hub makes shards of at most 500 MB)
ROW_GROUP_BYTES = 64 << 20
METADATA_KEY = b"attention_influence"
SPLIT = "train"


def selection_metadata(manifest: dict, selection: dict) -> dict:
    """How a selection was made: the run's model and heads, the selection settings, and the
    threshold (lowest kept score) of each domain."""
    skipped = {"domains", "total", "files", "output_layout", "excluded_file"}
    return {
        "model": manifest["model"]["name"],
        "model_fingerprint": manifest["model"]["fingerprint"],
        "dtype": manifest.get("dtype"),
        "heads": [list(h) for h in manifest["heads"]],
        "score_settings": manifest["settings"],
        **{key: value for key, value in selection.items() if key not in skipped},
        "thresholds": {domain: d["threshold"] for domain, d in selection["domains"].items()},
        "selected": {domain: d["selected"] for domain, d in selection["domains"].items()},
    }


def shard_name(index: int, count: int) -> str:
    return f"{SPLIT}-{index:05d}-of-{count:05d}.parquet"


def _unified(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for every file: fields in order of first appearance; a field whose types do
    not merge becomes a string (its values cast, or written as JSON text)."""
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    fields: dict[str, pa.Field] = {}
    for schema in schemas:
        for f in schema:
            if f.name not in fields:
                fields[f.name] = f
                continue
            try:
                fields[f.name] = pa.unify_schemas(
                    [pa.schema([fields[f.name]]), pa.schema([f])], promote_options="permissive"
                ).field(0)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                fields[f.name] = pa.field(f.name, pa.string())
    return pa.schema(list(fields.values()))


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with `schema`'s columns, in its order: missing ones null, others cast."""
    columns = []
    for f in schema:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        column = table[f.name]
        if column.type != f.type:
            try:
                column = pc.cast(column, f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                values = column.to_pylist()
                column = pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values], f.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def write_hf(
    folder: str, selected: pa.Table, fields: Fields, metadata: dict, shard_bytes: int = SHARD_BYTES
) -> list[str]:
    """Write the selected rows under `folder`/data/ as train-XXXXX-of-YYYYY.parquet; returns the
    files written."""
    fs, _, (root,) = fsspec.get_fs_token_paths(folder)
    staging = join(root, ".staging")
    fs.makedirs(staging, exist_ok=True)
    staged, rows, size = [], 0, 0
    for index, (_, table) in enumerate(source_tables(selected, fields)):
        path = join(staging, f"{index:05d}.parquet")
        with fs.open(path, "wb") as f:
            pq.write_table(table, f)
        staged.append((path, table.schema))
        rows, size = rows + table.num_rows, size + table.nbytes
    # nothing selected: one empty shard with the text column, so that the split exists
    schema = _unified([s for _, s in staged]) if staged else pa.schema([(fields.text, pa.string())])
    schema = schema.with_metadata({METADATA_KEY: json.dumps(metadata).encode()})
    count = max(1, math.ceil(size / shard_bytes))
    per_shard = max(1, math.ceil(rows / count))
    group = max(1, min(per_shard, int(ROW_GROUP_BYTES / max(size / max(rows, 1), 1))))
    data = join(root, "data")
    fs.makedirs(data, exist_ok=True)
    written = [join(data, shard_name(i, count)) for i in range(count)]
    writer = _Shards(fs, written, schema, per_shard, group)
    try:
        for path, _ in staged:
            with fs.open(path, "rb") as f:
                parquet = pq.ParquetFile(f)
                for batch in parquet.iter_batches(batch_size=max(1, min(group, 65536))):
                    writer.add(_conform(pa.Table.from_batches([batch]), schema))
        writer.close()
    finally:
        fs.rm(staging, recursive=True)
    return [fs.unstrip_protocol(p) if "://" in folder else p for p in written]


class _Shards:
    """Rows in order into `paths`, `per_shard` rows each, in row groups of `group` rows."""

    def __init__(self, fs, paths: list[str], schema: pa.Schema, per_shard: int, group: int):
        self.fs, self.paths, self.schema, self.per_shard, self.group = fs, paths, schema, per_shard, group
        self.index, self.in_shard, self.pending, self.file, self.writer = 0, 0, [], None, None

    def _open(self) -> None:
        self.file = self.fs.open(self.paths[self.index], "wb")
        self.writer = pq.ParquetWriter(self.file, self.schema)

    def _flush(self) -> None:
        if self.pending:
            if self.writer is None:
                self._open()
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.group)
            self.pending = []

    def _finish_shard(self) -> None:
        self._flush()
        if self.writer is None:
            self._open()
        self.writer.close()
        self.file.close()
        self.writer = self.file = None
        self.index, self.in_shard = self.index + 1, 0

    def add(self, table: pa.Table) -> None:
        while table.num_rows:
            room = self.per_shard - self.in_shard
            if room == 0 and self.index < len(self.paths) - 1:
                self._finish_shard()
                continue
            take = table.num_rows if self.index == len(self.paths) - 1 else min(room, table.num_rows)
            self.pending.append(table.slice(0, take))
            self.in_shard += take
            table = table.slice(take)
            if sum(t.num_rows for t in self.pending) >= self.group:
                self._flush()

    def close(self) -> None:
        """Finish the open shard and write any shard no row reached (empty, with the schema)."""
        while self.index < len(self.paths):
            self._finish_shard()
