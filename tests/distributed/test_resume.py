"""Resumable, sharded scoring on the embedded model: SIGKILL and restart, N=3 shards, and
`select` refusing while a shard is unfinished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attention_influence.cli import main
from attention_influence.corpus.writers import SCORE_SCHEMA, list_files
from attention_influence.distributed.resume import (
    IncompleteRunError,
    ResumeError,
    check_complete,
    finish_shard,
    start_shard,
    write_chunk,
)
from attention_influence.distributed.sharding import ShardSlice
from attention_influence.scoring import score_corpus
from attention_influence.selection import select

HEADS = "17:3,18:6"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference(corpus_with_error, embedded, read_scores, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("reference")
    summary = score_corpus(str(corpus_with_error), str(out), HEADS, embedded, chunk_docs=4, progress=False)
    assert (summary.records, summary.errors) == (26, 1)
    return read_scores(out)


@pytest.mark.slow
def test_sigkill_then_restart_gives_the_uninterrupted_scores(
    corpus_with_error, reference, read_scores, same_scores, tmp_path
):
    out = tmp_path / "run"
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "attention_influence.cli",
        "score",
        str(corpus_with_error),
        "--heads",
        HEADS,
        "--out",
    ]
    command += [str(out), "--chunk-docs", "2", "--no-progress", "--device", "cpu", "--dtype", "float32"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list_files(str(out / "scores"), ".parquet"):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no part file after 120 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    parts_at_kill = len(list_files(str(out / "scores"), ".parquet"))
    assert 1 <= parts_at_kill < 14  # 26 records in chunks of 2: killed mid-way
    assert not list(out.glob("scores/_shard-*.done"))
    with pytest.raises(IncompleteRunError, match="1 of 1 shards not finished"):
        select(str(out))

    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    same_scores(read_scores(out), reference)
    done = json.loads((out / "scores" / "_shard-00000-of-00001.done").read_text())
    assert done["resumed_chunks"] == parts_at_kill  # chunks finished before the kill were not scored again
    assert (done["records"], done["scored"], done["errors"]) == (26, 25, 1)
    errors = (out / "errors.jsonl").read_text().splitlines()
    assert len(errors) == 1 and '"row": 1' in errors[0]
    assert select(str(out), fraction=0.5)["total"]["documents"] == 25


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["corpus_with_error", "short_corpus"])  # 3 files: by file; 2: by row range
def test_three_shards_together_equal_the_unsharded_run(
    corpus, reference, embedded, read_scores, same_scores, request, tmp_path
):
    inputs, out = str(request.getfixturevalue(corpus)), str(tmp_path / "sharded")
    for index in (0, 2):
        score_corpus(inputs, out, HEADS, embedded, chunk_docs=4, progress=False, num_shards=3, shard_index=index)
    with pytest.raises(IncompleteRunError, match=r"1 of 3 shards not finished \(shard index 1\)"):
        select(out)
    score_corpus(inputs, out, HEADS, embedded, chunk_docs=4, progress=False, num_shards=3, shard_index=1)
    scores = read_scores(Path(out))
    same_scores(scores, {k: v for k, v in reference.items() if k in scores})
    errors = [p.read_text() for p in sorted(Path(out).glob("errors-s*-of-00003.jsonl"))]
    assert len(errors) == 3 and sum(len(e.splitlines()) for e in errors) == (corpus == "corpus_with_error")
    assert len(scores) == select(out, fraction=0.5)["total"]["documents"] == 24 + (corpus == "corpus_with_error")


def test_restart_with_another_chunk_size_is_refused(tmp_path):
    slices = [ShardSlice("a.jsonl")]
    start_shard(str(tmp_path), 1, 0, slices, chunk_docs=4)
    start_shard(str(tmp_path), 1, 0, slices, chunk_docs=4)  # the same command: fine
    with pytest.raises(ResumeError, match="--chunk-docs 4"):
        start_shard(str(tmp_path), 1, 0, slices, chunk_docs=8)


def _finished_chunk(out: str, num_shards: int, index: int, done: bool = True) -> None:
    write_chunk(out, num_shards, index, 0, SCORE_SCHEMA.empty_table(), [])
    if done:
        finish_shard(out, num_shards, index, {})


def test_completion_needs_every_shard_marker(tmp_path, capsys):
    out = str(tmp_path)
    assert check_complete(out) == 0  # nothing scored yet
    _finished_chunk(out, 4, 0)
    _finished_chunk(out, 4, 3, done=False)
    with pytest.raises(IncompleteRunError, match=r"3 of 4 shards not finished \(shard index 1, 2, 3\)"):
        check_complete(out)
    assert main(["select", out]) == 2
    assert "scoring is incomplete: 3 of 4 shards not finished" in capsys.readouterr().err
    for index in (1, 2, 3):
        _finished_chunk(out, 4, index)
    assert check_complete(out) == 4


def test_runs_with_different_shard_counts_in_one_folder_are_refused(tmp_path):
    _finished_chunk(str(tmp_path), 2, 0)
    _finished_chunk(str(tmp_path), 3, 0)
    with pytest.raises(IncompleteRunError, match=r"different --num-shards \[2, 3\]"):
        check_complete(str(tmp_path))


def test_a_shard_that_only_began_counts_as_unfinished(tmp_path):
    start_shard(str(tmp_path), 2, 1, [ShardSlice("a.jsonl")], chunk_docs=4)
    with pytest.raises(IncompleteRunError, match=r"2 of 2 shards not finished"):
        check_complete(str(tmp_path))
