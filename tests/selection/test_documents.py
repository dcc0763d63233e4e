"""`select` end to end on score files (no model): documents written source by source."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from attention_influence.runs.schema import text_hash
from attention_influence.selection import select
from tests.runs.fake import fake_run, score_rows


def _scores(rows: list[tuple[str, str, str, int, float, str]]) -> pa.Table:
    return score_rows(
        [
            dict(id=rid, domain=domain, source=source, row=row, n_tokens=10, loss_base=2.0)
            | dict(loss_masked=2.0 * (1 + score), score=score, truncated=False, text_hash=text_hash(text))
            for rid, domain, source, row, score, text in rows
        ]
    )


def test_selected_documents_keep_their_format_and_gain_scores(tmp_path):
    jsonl = tmp_path / "in" / "a.jsonl"
    jsonl.parent.mkdir()
    jsonl.write_text("".join(json.dumps({"id": f"a{i}", "text": f"text {i}", "extra": i}) + "\n" for i in range(4)))
    parquet = tmp_path / "in" / "b.parquet"
    pq.write_table(pa.table({"id": ["b0", "b1"], "text": ["x", "y"]}), parquet)
    rows = [(f"a{i}", "math", str(jsonl), i, float(i), f"text {i}") for i in range(4)]
    rows += [("b0", "code", str(parquet), 0, 0.5, "x"), ("b1", "code", str(parquet), 1, 0.1, "y")]
    out = str(tmp_path / "run")
    fake_run(out, [_scores(rows[:4]), _scores(rows[4:])], [str(jsonl), str(parquet)])

    report = select(out, fraction=0.5, guard=False)  # ten-token rows: only the writing is looked at

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
    texts = [f"t{i}" for i in range(50)]
    pq.write_table(
        pa.table({"id": [f"r{i}" for i in range(50)], "n": list(range(50)), "text": texts}), parquet, row_group_size=7
    )
    rows = [(f"r{i}", "web", str(parquet), i, float(i % 10), texts[i]) for i in range(50)]  # best: 9, 19, 29, ...
    out = str(tmp_path / "run")
    fake_run(out, [_scores(rows)], [str(parquet)])

    (path,) = select(out, fraction=0.1, guard=False)["files"]  # the five rows scored 9, in five row groups
    table = pq.read_table(path)
    assert table["n"].to_pylist() == [9, 19, 29, 39, 49] and table["attninf_score"].to_pylist() == [9.0] * 5
