"""Atomic writes: a write that fails (disk full) leaves neither a file under the final name nor a
temporary, and never damages the complete file that was there before."""

from __future__ import annotations

import errno

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.corpus.readers import expand_inputs, read_records
from attention_influence.corpus.writers import write_jsonl, write_table
from tests.full_disk import FullMemoryFileSystem

TABLE = pa.table({"text": [f"document number {i} " * 20 for i in range(200)]})


def _fs() -> FullMemoryFileSystem:
    return FullMemoryFileSystem()


def test_parquet_write_on_a_full_disk_leaves_nothing(tmp_path):
    FullMemoryFileSystem.reset(capacity=2000)
    with pytest.raises(OSError) as caught:
        write_table("fullmem://run/scores/part-00000.parquet", TABLE)
    assert caught.value.errno == errno.ENOSPC
    assert _fs().find("/run") == []


def test_failed_overwrite_keeps_the_complete_file():
    FullMemoryFileSystem.reset(capacity=1 << 20)
    write_jsonl("fullmem://run/selected/a.jsonl", [{"text": "kept"}])
    FullMemoryFileSystem.capacity = _fs().used() + 100
    with pytest.raises(OSError):
        write_jsonl("fullmem://run/selected/a.jsonl", ({"text": f"new {i}" * 50} for i in range(100)))
    assert _fs().find("/run") == ["/run/selected/a.jsonl"]
    assert [r.text for r in read_records("fullmem://run/selected/a.jsonl")] == ["kept"]


def test_temporaries_are_never_inputs_or_outputs(tmp_path):
    write_table(str(tmp_path / "part-00000.parquet"), TABLE)
    (tmp_path / "part-00001.parquet.tmp-1a2b3c4d").write_bytes(b"PAR1 half written")
    assert expand_inputs([str(tmp_path)]) == [str(tmp_path / "part-00000.parquet")]
    assert expand_inputs([str(tmp_path / "part-*")]) == [str(tmp_path / "part-00000.parquet")]
    assert pq.read_table(tmp_path / "part-00000.parquet").equals(TABLE)
