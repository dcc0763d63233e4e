"""Inputs and outputs on an fsspec URL (memory://: no network), sharded, then selected."""

from __future__ import annotations

import json

import fsspec
import pytest

from attention_influence import score_corpus, select

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"


def test_memory_urls_in_and_out(short_corpus, embedded, read_scores, same_scores, tmp_path):
    fs = fsspec.filesystem("memory")
    for path in short_corpus.iterdir():
        fs.pipe(f"/attninf-in/{path.parent.name}/{path.name}", path.read_bytes())
    inputs, out = "memory://attninf-in", "memory://attninf-run"
    for index in (0, 1):
        score_corpus(inputs, out, HEADS, embedded, chunk_docs=5, progress=False, num_shards=2, shard_index=index)
    report = select(out, fraction=0.25, guard=False)  # short documents: the storage is what is looked at

    local = tmp_path / "local"
    score_corpus(str(short_corpus), str(local), HEADS, embedded, chunk_docs=5, progress=False)
    same_scores(read_scores(out), read_scores(local))
    expected = select(str(local), fraction=0.25, guard=False)
    want = {json.loads(line)["id"] for path in expected["files"] for line in open(path)}
    kept = [json.loads(line) for path in report["files"] for line in fs.cat(path).splitlines()]
    assert {d["id"] for d in kept} == want and len(kept) == report["total"]["selected"] == 6
    assert all(path.startswith("memory:///attninf-run/selected/") for path in report["files"])
    assert fs.exists("/attninf-run/.attninf/shards/s00001-of-00002.done")
    assert json.loads(fs.cat("/attninf-run/run.json"))["sources"][0]["uri"].startswith("memory:///attninf-in/")
