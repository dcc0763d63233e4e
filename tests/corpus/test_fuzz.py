"""Property-based tests: random bytes, damaged archives and random records never crash the
readers or the selection, and never break the accounting (one Record per row, each usable or
carrying its reason)."""

from __future__ import annotations

import gzip
import json
import math
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention_influence.corpus.readers import Record, read_records
from attention_influence.errors import RunError
from attention_influence.pipeline.chunks import PreparedChunk, account
from attention_influence.runs.schema import SCORE_SCHEMA
from attention_influence.scoring.engine import DocScore
from attention_influence.selection import select
from tests.runs.fake import fake_run

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = [".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet"]


def _read(data: bytes, suffix: str) -> list[Record]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"shard{suffix}"
        path.write_bytes(data)
        return list(read_records(str(path)))


def _sound(records: list[Record]) -> None:
    """Rows strictly increase; each record is usable text or has a reason, never both."""
    rows = [r.row for r in records]
    assert rows == sorted(set(rows))
    for r in records:
        assert (r.text is None) == (r.error is not None)
        if r.text is not None:
            assert r.text.strip() and "\x00" not in r.text
            r.text.encode("utf-8")  # tokenizers get valid UTF-8 only


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_never_crash_a_reader(data, suffix):
    _sound(_read(data, suffix))


def _compress(data: bytes, suffix: str) -> bytes:
    return gzip.compress(data, mtime=0) if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress(data)


@FUZZ
@given(
    lines=st.lists(st.text(max_size=40).map(lambda t: json.dumps({"text": t})), max_size=30),
    suffix=st.sampled_from([".jsonl.gz", ".jsonl.zst"]),
    cut=st.floats(0, 1),
    flip=st.integers(0, 10_000),
)
def test_damaged_archives_keep_a_prefix(lines, suffix, cut, flip):
    data = "".join(line + "\n" for line in lines).encode()
    packed = bytearray(_compress(data, suffix))
    whole = _read(bytes(packed), suffix)
    assert [r.row for r in whole] == list(range(len(lines)))
    truncated = _read(bytes(packed[: int(len(packed) * cut)]), suffix)
    _sound(truncated)
    assert [r.text for r in truncated if r.error is None] == [
        r.text for r in whole[: len(truncated)] if r.error is None
    ][: sum(r.error is None for r in truncated)]
    if packed:
        packed[flip % len(packed)] ^= 0x5A  # a flipped byte anywhere
        _sound(_read(bytes(packed), suffix))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
RECORDS = st.dictionaries(st.sampled_from(["text", "id", "domain", "other"]), JSON_VALUES, max_size=4)


@FUZZ
@given(records=st.lists(RECORDS | JSON_VALUES, max_size=20))
def test_random_records_one_record_per_line(records):
    lines = [json.dumps(r) for r in records]
    read = _read("".join(line + "\n" for line in lines).encode(), ".jsonl")
    _sound(read)
    assert len(read) == len(lines)  # json.dumps never writes a blank line
    usable = [i for i, r in enumerate(read) if r.error is None]
    counts, errors = account(PreparedChunk(0, 0, read, usable), [DocScore(2, 1, 1.0, 1.1, 0.1) for _ in usable])
    assert counts.scored == len(usable) and len(errors) == counts.unreadable == len(read) - len(usable)


SCORES = st.none() | st.sampled_from([math.nan, math.inf, -math.inf, 0.0]) | st.floats(-10, 10)
SCORE_ROWS = st.lists(
    st.tuples(st.sampled_from(["math", "code", "web"]), st.integers(1, 5000), SCORES), min_size=0, max_size=60
)


@FUZZ
@given(rows=SCORE_ROWS, parts=st.integers(1, 3), fraction=st.floats(0.001, 1.0), by=st.sampled_from(["docs", "tokens"]))
def test_selection_of_random_scores(rows, parts, fraction, by):
    with tempfile.TemporaryDirectory() as out:
        columns = {name: [] for name in SCORE_SCHEMA.names}
        for i, (domain, tokens, score) in enumerate(rows):
            values = dict(id=f"doc-{i}", domain=domain, source="s.jsonl", row=i, n_tokens=tokens, score=score)
            values |= dict(loss_base=1.0, loss_masked=None, reason=None if score is not None else "x", truncated=False)
            for name in SCORE_SCHEMA.names:
                columns[name].append(values.get(name))
        table = pa.table(columns, schema=SCORE_SCHEMA)
        step = max(1, math.ceil(len(rows) / parts))
        fake_run(out, [table.slice(start, step) for start in range(0, max(len(rows), 1), step)])
        picked = pq.read_table(f"{out}/scores").to_pylist()
        finite = [r for r in picked if r["score"] is not None and math.isfinite(r["score"])]
        if not finite:  # nothing to select: one clear error
            with pytest.raises(RunError, match="nothing to select"):
                select(out, fraction=fraction, by=by, write_documents=False, guard=False)
            return
        report = select(out, fraction=fraction, by=by, write_documents=False, guard=False)  # the ranking alone
    assert report["total"]["documents"] == len(finite)
    for domain, d in report["domains"].items():
        scores = sorted((r["score"] for r in finite if r["domain"] == domain), reverse=True)
        assert d["documents"] == len(scores) and 1 <= d["selected"] <= len(scores)
        if by == "docs":
            assert d["selected"] == math.ceil(fraction * len(scores) - 1e-9)
        assert d["threshold"] == scores[d["selected"] - 1]
