"""Corpus readers: formats, compressions, folders, globs, ids and domains."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from attention_influence.corpus import CorpusError, Fields, expand_inputs, read_records

ROWS = [{"id": "a", "text": "first doc", "domain": "math"}, {"text": "second doc"}, {"id": 7, "text": "third"}]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture()
def corpus(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.jsonl").write_bytes(_jsonl(ROWS))
    (tmp_path / "web" / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl(ROWS)))
    (tmp_path / "web" / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(_jsonl(ROWS)))
    pq.write_table(
        pa.Table.from_pylist([{"id": "p", "text": "parquet doc", "domain": None}]), tmp_path / "web" / "d.parquet"
    )
    (tmp_path / "web" / "notes.txt").write_text("ignored")
    return tmp_path


def test_every_format_reads_the_same_records(corpus) -> None:
    for name in ("a.jsonl", "b.jsonl.gz", "c.jsonl.zst"):
        records = list(read_records(str(corpus / "web" / name)))
        assert [r.text for r in records] == ["first doc", "second doc", "third"]
        assert [r.row for r in records] == [0, 1, 2]
        path = str(corpus / "web" / name)
        assert [r.id for r in records] == ["a", f"{path}:1", "7"]  # id field, else file:row
        assert [r.domain for r in records] == ["math", "web", "web"]  # field, else parent folder


def test_parquet_and_domain_override(corpus) -> None:
    (record,) = read_records(str(corpus / "web" / "d.parquet"), Fields(domain="general"))
    assert (record.id, record.text, record.domain) == ("p", "parquet doc", "general")


def test_custom_fields(tmp_path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"uid": "u1", "content": "hello", "lang": "code"}) + "\n")
    (record,) = read_records(str(path), Fields(text="content", id="uid", domain_field="lang"))
    assert (record.id, record.text, record.domain) == ("u1", "hello", "code")


def test_folders_and_globs_expand_to_supported_files(corpus) -> None:
    names = [p.rsplit("/", 1)[-1] for p in expand_inputs([str(corpus)])]
    assert names == ["a.jsonl", "b.jsonl.gz", "c.jsonl.zst", "d.parquet"]
    assert [p.rsplit("/", 1)[-1] for p in expand_inputs([str(corpus / "web" / "*.jsonl*")])] == names[:3]
    with pytest.raises(CorpusError, match="input not found"):
        expand_inputs([str(corpus / "missing.jsonl")])


def test_bad_rows_carry_a_reason_and_keep_their_line(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{oops\n[1, 2]\n{"text": 5}\n{"text": "  "}\n\n{"other": 1}\n')
    records = list(read_records(str(path)))
    assert [(r.row, r.error) for r in records] == [
        (0, None),
        (1, records[1].error),
        (2, "not a JSON object"),
        (3, "text field 'text' is not a string"),
        (4, "empty text"),
        (6, "missing text field 'text'"),
    ]
    assert records[1].error.startswith("invalid JSON")


def test_an_invalid_json_reason_reads_once(tmp_path) -> None:
    path = tmp_path / "tab.jsonl"
    path.write_bytes(b'{"text": "a\tb"}\n')  # a raw tab inside a string: json's message ends in "at"
    (record,) = read_records(str(path))
    assert record.error == "invalid JSON (Invalid control character at column 12)"


def test_a_string_left_open_is_named_so(tmp_path) -> None:
    """The line's newline is not read as a control character inside the string."""
    path = tmp_path / "open.jsonl"
    path.write_bytes(b'{"text": "unterminated\n{"text": "fine"}\r\n')
    records = list(read_records(str(path)))
    assert records[0].error == "invalid JSON (Unterminated string starting at column 10)"
    assert records[1].error is None and records[1].text == "fine"  # a CRLF line end is read as before


def test_memory_filesystem_urls() -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus/math/m.jsonl", _jsonl(ROWS[:1]))
    (path,) = expand_inputs(["memory://corpus"])
    assert [r.text for r in read_records(path)] == ["first doc"]


def test_a_folder_named_like_a_temporary_is_read_and_temporaries_are_not(tmp_path) -> None:
    folder = tmp_path / "run.tmp-2024" / "math"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(_jsonl(ROWS))
    (folder / ".b.jsonl.tmp-0123abcd").write_bytes(_jsonl(ROWS))  # an unfinished output of ours
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "c.jsonl").write_bytes(_jsonl(ROWS))
    assert expand_inputs([str(tmp_path)]) == [str(folder / "a.jsonl")]


def test_a_file_named_twice_or_through_another_path_is_read_once(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_bytes(_jsonl(ROWS))
    (tmp_path / "alias").symlink_to(tmp_path / "data")
    found = expand_inputs(
        [str(tmp_path / "data" / "a.jsonl"), str(tmp_path / "data"), str(tmp_path / "alias" / "a.jsonl")]
    )
    assert found == [str((tmp_path / "data" / "a.jsonl").resolve())]


def test_relative_inputs_become_absolute(tmp_path, monkeypatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_bytes(_jsonl(ROWS))
    monkeypatch.chdir(tmp_path)
    assert expand_inputs(["data"]) == [str(tmp_path / "data" / "a.jsonl")]


def test_ids_and_domains_that_cannot_be_stored_cost_only_their_record(tmp_path) -> None:
    path = tmp_path / "x.jsonl"
    rows = [{"id": "ok", "text": "fine"}, {"id": "bad\udcff", "text": "t"}, {"domain": "d\ud800", "text": "t"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = list(read_records(str(path)))
    assert [r.error for r in records] == [
        None,
        "id field 'id' is not valid UTF-8",
        "domain field 'domain' is not valid UTF-8",
    ]
    for r in records:
        (r.id + r.domain).encode("utf-8")  # what is stored can be stored
