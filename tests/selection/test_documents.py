"""`select` end to end on score files (no model): documents written source by source."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.corpus.writers import SCORE_SCHEMA
from attention_influence.distributed.resume import finish_shard, write_chunk
from attention_influence.selection import select


def _scores(rows: list[tuple[str, str, str, int, float]]) -> pa.Table:
    columns = {name: [] for name in SCORE_SCHEMA.names}
    for rid, domain, source, row, score in rows:
        values = dict(id=rid, domain=domain, source=source, row=row, n_tokens=10, loss_base=2.0)
        values |= dict(loss_masked=2.0 * (1 + score), score=score, reason=None, truncated=False)
        for name in columns:
            columns[name].append(values.get(name))
    return pa.table(columns, schema=SCORE_SCHEMA)


def test_selected_documents_keep_their_format_and_gain_scores(tmp_path):
    jsonl = tmp_path / "in" / "a.jsonl"
    jsonl.parent.mkdir()
    jsonl.write_text("".join(json.dumps({"id": f"a{i}", "text": f"text {i}", "extra": i}) + "\n" for i in range(4)))
    parquet = tmp_path / "in" / "b.parquet"
    pq.write_table(pa.table({"id": ["b0", "b1"], "text": ["x", "y"]}), parquet)
    rows = [(f"a{i}", "math", str(jsonl), i, float(i)) for i in range(4)]
    rows += [("b0", "code", str(parquet), 0, 0.5), ("b1", "code", str(parquet), 1, 0.1)]
    out = str(tmp_path / "run")
    write_chunk(out, 2, 0, 0, _scores(rows[:3]), [])
    write_chunk(out, 2, 1, 0, _scores(rows[3:]), [])
    for index in (0, 1):
        finish_shard(out, 2, index, {})

    report = select(out, fraction=0.5)

    assert (report["domains"]["math"]["selected"], report["domains"]["code"]["selected"]) == (2, 1)
    assert report["domains"]["math"]["threshold"] == 2.0
    first, second = report["files"]
    kept = [json.loads(line) for line in open(first)]
    assert [(d["id"], d["extra"], d["attninf_score"], d["attninf_domain"]) for d in kept] == [
        ("a2", 2, 2.0, "math"),
        ("a3", 3, 3.0, "math"),
    ]
    table = pq.read_table(second)
    assert table["id"].to_pylist() == ["b0"] and table["attninf_score"].to_pylist() == [0.5]


def test_parquet_rows_are_taken_from_their_row_groups(tmp_path):
    parquet = tmp_path / "in" / "big.parquet"
    parquet.parent.mkdir()
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(50)], "n": list(range(50))}), parquet, row_group_size=7)
    rows = [(f"r{i}", "web", str(parquet), i, float(i % 10)) for i in range(50)]  # best: 9, 19, 29, 39, 49, ...
    out = str(tmp_path / "run")
    write_chunk(out, 1, 0, 0, _scores(rows), [])
    finish_shard(out, 1, 0, {})

    (path,) = select(out, fraction=0.1)["files"]  # the five rows scored 9, in five different row groups
    table = pq.read_table(path)
    assert table["n"].to_pylist() == [9, 19, 29, 39, 49] and table["attninf_score"].to_pylist() == [9.0] * 5
