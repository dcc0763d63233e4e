from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.distributed.sharding import ShardError, ShardSlice, exact_rows, read_slice, shard_slices


def _jsonl(path, n, trailing_newline=True):
    text = "\n".join(json.dumps({"id": f"{path.stem}-{i}", "text": f"doc {i}"}) for i in range(n))
    path.write_text(text + ("\n" if trailing_newline else ""))
    return str(path)


def _ids(slices):
    return [r.id for piece in slices for r in read_slice(piece)]


@pytest.mark.parametrize("num_shards", [1, 2, 3, 4, 7, 11])
def test_shards_cover_every_row_exactly_once(tmp_path, num_shards):
    files = [_jsonl(tmp_path / "a.jsonl", 5), _jsonl(tmp_path / "b.jsonl", 0), _jsonl(tmp_path / "c.jsonl", 3, False)]
    pq.write_table(pa.table({"id": [f"p-{i}" for i in range(4)], "text": ["x"] * 4}), tmp_path / "d.parquet")
    files.append(str(tmp_path / "d.parquet"))
    everything = _ids(shard_slices(files, 1, 0))
    assert len(everything) == 12
    shards = [_ids(shard_slices(files, num_shards, i)) for i in range(num_shards)]
    assert sorted(i for shard in shards for i in shard) == sorted(everything)


def test_many_files_split_by_file(tmp_path):
    files = [_jsonl(tmp_path / f"{i}.jsonl", 2) for i in range(5)]
    slices = shard_slices(files, 2, 1)
    assert [(s.start, s.stop) for s in slices] == [(0, None), (0, None)]
    assert [s.path for s in slices] == sorted(files)[1::2]


def test_few_large_files_split_by_row_range(tmp_path):
    files = [_jsonl(tmp_path / "big.jsonl", 10)]
    pieces = [shard_slices(files, 3, i) for i in range(3)]
    assert pieces == [[ShardSlice(files[0], 0, 3)], [ShardSlice(files[0], 3, 6)], [ShardSlice(files[0], 6, None)]]


def test_parquet_row_ranges_read_only_their_row_groups(tmp_path):
    path = str(tmp_path / "big.parquet")
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(20)], "text": ["t"] * 20}), path, row_group_size=3)
    shards = [[(r.row, r.id) for r in read_slice(piece)] for i in range(4) for piece in shard_slices([path], 4, i)]
    assert [len(s) for s in shards] == [5, 5, 5, 5]
    assert [pair for shard in shards for pair in shard] == [(i, f"r{i}") for i in range(20)]


def test_jsonl_row_ranges_parse_only_their_rows(tmp_path, monkeypatch):
    from attention_influence.corpus import readers

    parsed = []
    parse = readers._parse_line
    monkeypatch.setattr(readers, "_parse_line", lambda line: parsed.append(line) or parse(line))
    (piece,) = shard_slices([_jsonl(tmp_path / "big.jsonl", 100)], 10, 5)  # rows 50..59
    assert [r.id for r in read_slice(piece)] == [f"big-{i}" for i in range(50, 60)]
    assert len(parsed) <= 11  # its 10 rows (and the next, to see the end): not the 50 before it


def test_exact_rows_counts_a_last_line_without_newline(tmp_path):
    assert exact_rows(_jsonl(tmp_path / "a.jsonl", 3, trailing_newline=False)) == 3
    assert exact_rows(_jsonl(tmp_path / "b.jsonl", 3)) == 3


@pytest.mark.parametrize(("num_shards", "index"), [(0, 0), (2, 2), (2, -1)])
def test_bad_shard_arguments(tmp_path, num_shards, index):
    with pytest.raises(ShardError, match="--num-shards|--shard-index"):
        shard_slices([_jsonl(tmp_path / "a.jsonl", 2)], num_shards, index)
