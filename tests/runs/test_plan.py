"""Chunks and shards: every row in exactly one shard, chunk boundaries the same for any shard count."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.config import ScoreSettings
from attention_influence.corpus.readers import exact_rows, read_range
from attention_influence.errors import SettingError
from attention_influence.runs.plan import ChunkRange, shard_plan


def _jsonl(path, n, trailing_newline=True):
    text = "\n".join(json.dumps({"id": f"{path.stem}-{i}", "text": f"doc {i}"}) for i in range(n))
    path.write_text(text + ("\n" if trailing_newline else ""))
    return str(path)


def _rows(ranges, chunk_docs):
    """(id, chunk) of every record the ranges read."""
    out = []
    for piece in ranges:
        start, stop = piece.rows(chunk_docs)
        out += [(r.id, r.row // chunk_docs, piece.source) for r in read_range(piece.path, None, start, stop)]
    return out


@pytest.fixture
def files(tmp_path):
    files = [_jsonl(tmp_path / "a.jsonl", 5), _jsonl(tmp_path / "b.jsonl", 0), _jsonl(tmp_path / "c.jsonl", 3, False)]
    pq.write_table(pa.table({"id": [f"p-{i}" for i in range(4)], "text": ["x"] * 4}), tmp_path / "d.parquet")
    return files + [str(tmp_path / "d.parquet")]


@pytest.mark.parametrize("num_shards", [1, 2, 3, 4, 7, 11])
@pytest.mark.parametrize("chunk_docs", [1, 2, 3, 100])
def test_shards_cover_every_row_once_in_the_same_chunks(files, num_shards, chunk_docs):
    everything = _rows(shard_plan(files, chunk_docs), chunk_docs)
    assert len(everything) == 12
    shards = [_rows(shard_plan(files, chunk_docs, num_shards, i), chunk_docs) for i in range(num_shards)]
    assert sorted(row for shard in shards for row in shard) == sorted(everything)  # same rows, same chunks


def test_many_files_split_by_file(tmp_path):
    files = [_jsonl(tmp_path / f"{i}.jsonl", 2) for i in range(5)]
    assert shard_plan(files, 4, 2, 1) == [ChunkRange(1, files[1]), ChunkRange(3, files[3])]


def test_few_large_files_split_by_chunk_range(tmp_path):
    files = [_jsonl(tmp_path / "big.jsonl", 10)]
    ranges = [shard_plan(files, 2, 3, i) for i in range(3)]  # 5 chunks over 3 shards
    assert ranges == [[ChunkRange(0, files[0], 0, 1)], [ChunkRange(0, files[0], 1, 3)], [ChunkRange(0, files[0], 3)]]


def test_parquet_ranges_read_only_their_rows(tmp_path):
    path = str(tmp_path / "big.parquet")
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(20)], "text": ["t"] * 20}), path, row_group_size=3)
    shards = [_rows(shard_plan([path], 5, 4, i), 5) for i in range(4)]
    assert [len(s) for s in shards] == [5, 5, 5, 5]
    assert [row[0] for shard in shards for row in shard] == [f"r{i}" for i in range(20)]


def test_jsonl_ranges_parse_only_their_rows(tmp_path, monkeypatch):
    from attention_influence.corpus import readers

    parsed = []
    parse = readers._parse_line
    monkeypatch.setattr(readers, "_parse_line", lambda line: parsed.append(line) or parse(line))
    (piece,) = shard_plan([_jsonl(tmp_path / "big.jsonl", 100)], 10, 10, 5)  # rows 50..59
    start, stop = piece.rows(10)
    assert [r.id for r in read_range(piece.path, None, start, stop)] == [f"big-{i}" for i in range(50, 60)]
    assert len(parsed) <= 11  # its 10 rows (and the next, to see the end): not the 50 before it


def test_exact_rows_counts_a_last_line_without_newline(tmp_path):
    assert exact_rows(_jsonl(tmp_path / "a.jsonl", 3, trailing_newline=False)) == 3
    assert exact_rows(_jsonl(tmp_path / "b.jsonl", 3)) == 3


@pytest.mark.parametrize(
    ("num_shards", "index", "setting"), [(0, 0, "num_shards"), (2, 2, "shard_index"), (2, -1, "shard_index")]
)
def test_bad_shard_settings(num_shards, index, setting):
    with pytest.raises(SettingError) as err:
        ScoreSettings(num_shards=num_shards, shard_index=index)
    assert err.value.setting == setting
