"""Every bad record gets a reason, never a crash; every record read is scored or listed in
DIR/errors.jsonl (the accounting invariant), on a corpus seeded with every kind of bad record."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import sys
from collections import Counter

import pyarrow.parquet as pq
import pytest

from attention_influence import score_corpus, select
from attention_influence.corpus.readers import INVALID_UTF8, expand_inputs, read_range, read_records
from attention_influence.pipeline.ledger import BadRecordError
from attention_influence.runs import RunDir
from attention_influence.runs.plan import shard_plan
from tests.corpus.bad_corpus import FLAGGED, GOOD, JSONL_LINES, write_bad_corpus

HEADS = "17:3,18:6"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad") / "corpus"
    return root, write_bad_corpus(root)


def test_jsonl_reasons(corpus):
    _, files = corpus
    records = list(read_records(str(files["mixed"])))
    assert [r.row for r in records] == list(range(len(JSONL_LINES)))  # blank lines are not records
    for record, (_, reason) in zip(records, JSONL_LINES, strict=True):
        assert (record.error or "").split(" (")[0] == (reason or ""), record
    flagged = [r for r in records if r.flag]
    assert [r.flag for r in flagged] == [INVALID_UTF8] * FLAGGED
    assert all(r.error is None and "\ufffd" in r.text for r in flagged)


def test_huge_line_is_skipped_not_loaded(corpus):
    _, files = corpus
    records = list(read_records(str(files["huge"])))
    assert [r.error for r in records] == [None, "line longer than 16 MB", None]
    assert [r.text for r in records if r.text] == [GOOD[2], GOOD[3]]


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_truncated_archive_keeps_records_before_the_damage(corpus, kind):
    _, files = corpus
    records = list(read_records(str(files[kind])))
    kept, damage = records[:-1], records[-1]
    assert len(kept) >= 2 and all(r.error is None for r in kept)
    assert [r.text for r in kept] == [f"Line {i} of a shard: {GOOD[i % 4]}" for i in range(len(kept))]
    assert damage.error.startswith(("truncated", "invalid JSON")) and damage.row == len(kept)


def test_parquet_without_text_column_lists_every_row(corpus):
    _, files = corpus
    records = list(read_records(str(files["no_text_column"])))
    assert [(r.row, r.error) for r in records] == [(i, "Parquet schema has no column 'text'") for i in range(3)]


@pytest.mark.parametrize("kind", ["not_parquet", "unreadable"])
def test_unreadable_file_is_one_listed_record(corpus, kind):
    _, files = corpus
    (record,) = read_records(str(files[kind]))
    assert record.text is None and record.error.startswith(("unreadable Parquet data", "unreadable file"))


def test_a_folder_named_like_a_shard_is_unreadable(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    (record,) = read_records(str(tmp_path / "dir.jsonl"))
    assert record.error == "unreadable file (Is a directory)"


def test_multi_member_gzip_reads_every_member(tmp_path):
    lines = [json.dumps({"text": f"doc {i}"}).encode() + b"\n" for i in range(10)]
    path = tmp_path / "multi.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(lines[:4])) + gzip.compress(b"".join(lines[4:])))
    assert [r.text for r in read_records(str(path))] == [f"doc {i}" for i in range(10)]


WRITES: list[str] = []  # opens for writing under WATCHED, seen by the audit hook
READS: list[str] = []
WATCHED: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and WATCHED and isinstance(args[0], (str, os.PathLike)):
        path, mode, flags = os.fspath(args[0]), args[1] or "", args[2] or 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT)
        if path.startswith(WATCHED[0]):
            (WRITES if writing else READS).append(f"{path} ({mode or flags})")


sys.addaudithook(_audit)


def _digests(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_every_record_is_scored_or_listed(corpus, embedded, tmp_path):
    root, _ = corpus
    before = _digests(root)
    WATCHED.append(str(root))
    read = [r for path in expand_inputs([str(root)]) for r in read_records(path)]
    out = tmp_path / "run"
    summary = score_corpus(str(root), str(out), HEADS, embedded, chunk_docs=64, progress=False)

    scores = pq.ParquetDataset(RunDir(out).parts()).read().to_pylist()
    listed = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    scored = [s for s in scores if s["score"] is not None]
    assert len(scored) + len(listed) == len(read) == summary.records
    assert {(s["source"], s["row"]) for s in scored} | {(e["source"], e["row"]) for e in listed} == {
        (r.source, r.row) for r in read
    }
    assert all(set(e) >= {"source", "row", "reason"} for e in listed)
    counts = Counter(e["reason"].split(" (")[0] for e in listed)
    assert counts == Counter(summary.reasons)
    expected = {"invalid JSON", "not a JSON object", "empty text", "NUL byte in line", "NUL byte in text"}
    expected |= {"line longer than 16 MB", "Parquet schema has no column 'text'", "unreadable file"}
    expected |= {"unreadable Parquet data", "truncated gzip file", "truncated zstd file"}
    expected |= {"missing text field 'text'", "text field 'text' is not a string"}
    assert expected <= set(counts), expected - set(counts)
    assert summary.flags == {INVALID_UTF8: FLAGGED}
    assert sum(s["flag"] == INVALID_UTF8 and s["score"] is not None for s in scores) == FLAGGED
    report = select(str(out), fraction=0.5)
    assert report["total"]["documents"] == len(scored)
    WATCHED.clear()
    assert READS and WRITES == []  # inputs were opened, never for writing
    assert _digests(root) == before  # and none changed


@pytest.mark.slow
def test_on_error_fail_stops_at_the_first_bad_record(corpus, embedded, tmp_path):
    root, files = corpus
    with pytest.raises(BadRecordError) as caught:
        score_corpus(str(files["mixed"]), str(tmp_path / "run"), HEADS, embedded, on_error="fail", progress=False)
    message = str(caught.value)
    assert message.startswith(f"{files['mixed']}:2: invalid JSON (") and message.endswith("(on_error=fail)")
    assert "\n" not in message


@pytest.mark.slow
def test_a_run_with_no_score_at_all_fails_naming_the_reasons(corpus, embedded, tmp_path, capsys):
    """A wrong --text-field (or an empty corpus) is an error, not 'scored 0 of N' with exit 0;
    the run's files stay for inspection."""
    from attention_influence.cli import main
    from attention_influence.errors import RunError

    _, files = corpus
    out = tmp_path / "run"
    with pytest.raises(RunError, match=r"no record has a score: \d+ read \(\d+ Parquet schema has no column 'text'"):
        score_corpus(str(files["no_text_column"]), str(out), HEADS, embedded, progress=False)
    assert (out / "errors.jsonl").is_file() and (out / "summary.json").is_file()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    command = ["score", str(empty), "--heads", HEADS, "--out", str(tmp_path / "e"), "--device", "cpu", "--no-progress"]
    assert main(command) == 2
    assert "the corpus holds no records" in capsys.readouterr().err


@pytest.mark.parametrize("num_shards", [2, 3, 7])
def test_shards_account_for_every_record(corpus, num_shards):
    """Sharded reading (files cut into row ranges) lists every bad record exactly once, too."""
    _, files = corpus
    paths = sorted(str(files[k]) for k in ("gz", "zst", "parquet", "no_text_column", "not_parquet", "unreadable"))
    whole = [(r.source, r.row, r.error is None) for path in paths for r in read_records(path)]
    sharded = [
        (r.source, r.row, r.error is None)
        for index in range(num_shards)
        for piece in shard_plan(paths, 2, num_shards, index)
        for r in read_range(piece.path, None, *piece.rows(2))
    ]
    assert sorted(sharded) == sorted(whole)


ROWS = [{"text": "Ünïcode first record, read whole.", "id": "a"}, {"text": GOOD[1], "id": "b"}]
PLAIN = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS).encode()


NOISE = random.Random(0).randbytes(64)  # the same bytes in every process (pytest-xdist workers collect alike)


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.jsonl", b"\xef\xbb\xbf" + PLAIN),  # an editor's or a spreadsheet export's UTF-8 byte-order mark
        ("utf16.jsonl", PLAIN.decode().encode("utf-16")),  # UTF-16 with its mark (Windows "Unicode")
        ("gzipped.jsonl", gzip.compress(PLAIN, mtime=0)),  # compressed, named as plain
        ("zstd.jsonl", _zstd(b"\xef\xbb\xbf" + PLAIN)),  # compressed, named as plain, with a mark inside
        ("plain.jsonl.gz", PLAIN),  # named as compressed, plain
        ("plain.jsonl.zst", PLAIN),
    ],
    ids=["bom", "utf16", "gzipped", "zstd", "plain-named-gz", "plain-named-zst"],  # not the bytes
)
def test_files_as_users_have_them_are_read_by_their_content(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    records = list(read_records(str(path)))
    assert [(r.id, r.text, r.error, r.flag) for r in records] == [(row["id"], row["text"], None, None) for row in ROWS]
    from attention_influence.corpus.readers import exact_rows

    assert exact_rows(str(path)) == 2


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("packed.jsonl", b"BZh91AY&SY" + NOISE, "bzip2-compressed (by its content): JSONL is read plain"),
        ("packed.jsonl.gz", b"\xfd7zXZ\x00" + NOISE, "xz-compressed (by its content)"),
        ("archive.jsonl", b"PK\x03\x04" + NOISE, "zip-compressed (by its content)"),
        ("table.jsonl", b"PAR1" + NOISE + b"PAR1", "a Parquet file (by its content), not JSONL: name it .parquet"),
        ("lines.parquet", PLAIN, "unreadable Parquet data (not Parquet: its content is JSON text; name it .jsonl)"),
        ("lines.parquet", gzip.compress(PLAIN, mtime=0), "not Parquet: its content is gzip-compressed"),
    ],
    ids=["bzip2", "xz", "zip", "parquet-as-jsonl", "jsonl-as-parquet", "gzip-as-parquet"],  # not the bytes
)  # fmt: skip
def test_a_file_of_another_format_is_one_record_naming_its_real_format(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    (record,) = read_records(str(path))
    assert record.text is None and says in record.error


def test_on_error_fail_names_the_file_and_its_real_format(tmp_path):
    from attention_influence.config import Fields
    from attention_influence.pipeline.chunks import Chunk, prepare_chunk

    path = tmp_path / "packed.jsonl"
    path.write_bytes(b"BZh91AY&SY" + NOISE)
    records = list(read_range(str(path), Fields()))
    job = type("Job", (), {"settings": type("S", (), {"on_error": "fail"})()})()
    with pytest.raises(BadRecordError, match=rf"^{path}:1: bzip2-compressed \(by its content\)"):
        prepare_chunk(job, None, None, Chunk(0, 0, records))
