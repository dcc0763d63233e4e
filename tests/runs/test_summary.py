"""ScoreSummary (runs/summary.py): one definition of what a scoring process did and of how the
summaries of shards add up (each field says how: summed, the largest, counts merged)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from attention_influence.pipeline.ledger import ChunkCounts
from attention_influence.runs.summary import MAX, SUM, ScoreSummary, merge_summaries


def _shard(**values) -> dict:
    return ScoreSummary(**values).as_dict()


def test_every_field_says_how_shards_combine():
    for f in fields(ScoreSummary):
        assert f.name == "executor" or f.metadata.get("merge") in (SUM, MAX, "counts"), f.name


def test_shards_add_up():
    a = _shard(records=10, scored=8, errors=2, tokens=1000, seconds=5.0, reasons={"empty text": 2}, real_tokens=900,
               padded_tokens=1000, busy_seconds=4.0, peak_memory_bytes=7, flags={"invalid UTF-8 (replaced)": 1})  # fmt: skip
    b = _shard(records=5, scored=5, tokens=500, seconds=9.0, reasons={"empty text": 1, "x": 3}, real_tokens=500,
               padded_tokens=500, busy_seconds=8.0, peak_memory_bytes=3, resumed_chunks=1, resumed_tokens=100)  # fmt: skip
    total = merge_summaries([a, b])
    assert (total["records"], total["scored"], total["errors"], total["tokens"]) == (15, 13, 2, 1500)
    assert total["reasons"] == {"empty text": 3, "x": 3} and total["flags"] == {"invalid UTF-8 (replaced)": 1}
    assert (total["seconds"], total["peak_memory_bytes"], total["shards"]) == (9.0, 7, 2)  # side by side
    assert total["tokens_per_second"] == pytest.approx((1500 - 100) / 9.0)
    assert total["padding_fraction"] == pytest.approx(1 - 1400 / 1500)
    assert total["busy_fraction"] == 1.0  # 12 busy seconds over a wall time of 9: capped


def test_a_summary_written_before_a_field_existed_merges():
    old = {"records": 3, "scored": 3, "tokens": 30, "seconds": 1.0}  # no shards, no reasons, ...
    total = merge_summaries([old, old])
    assert (total["records"], total["shards"], total["reasons"]) == (6, 2, {})


def test_chunks_add_to_a_process_summary():
    summary = ScoreSummary()
    counts = ChunkCounts(0, 0, records=4, scored=2, unscored=1, unreadable=1, tokens=50, reasons={"empty text": 2})
    summary.add(counts)
    summary.add(ChunkCounts(0, 1, records=2, scored=2, tokens=20, resumed=True))
    assert (summary.records, summary.scored, summary.unscored, summary.errors) == (6, 4, 1, 1)
    assert (summary.resumed_chunks, summary.resumed_tokens, summary.reasons) == (1, 20, {"empty text": 2})
