"""Resumable, sharded scoring on the embedded model: SIGKILL and restart, N=3 shards, `select`
refusing while a shard is unfinished, and sources that change between two runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attention_influence import score_corpus, select
from attention_influence.errors import RunError
from attention_influence.runs import RunDir

HEADS = "17:3,18:6"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reference(corpus_with_error, embedded, read_scores, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("reference")
    summary = score_corpus(str(corpus_with_error), str(out), HEADS, embedded, chunk_docs=4, progress=False)
    assert (summary.records, summary.errors) == (26, 1)
    return read_scores(out)


def _done(out: Path, num_shards: int = 1, index: int = 0) -> dict:
    return json.loads((out / ".attninf" / "shards" / f"s{index:05d}-of-{num_shards:05d}.done").read_text())


@pytest.mark.slow
def test_sigkill_then_restart_gives_the_uninterrupted_scores(
    corpus_with_error, reference, read_scores, same_scores, tmp_path
):
    out = tmp_path / "run"
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "attention_influence.cli", "score", str(corpus_with_error), "--heads", HEADS]
    command += ["--out", str(out), "--chunk-docs", "2", "--no-progress", "--device", "cpu", "--dtype", "float32"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not RunDir(out).parts():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no part file after 120 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    parts_at_kill = len(RunDir(out).parts())
    assert 1 <= parts_at_kill < 14  # 26 records in chunks of 2: killed mid-way
    with pytest.raises(RunError, match="1 of 1 shards not finished"):
        select(str(out))

    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    same_scores(read_scores(out), reference)
    done = _done(out)
    assert done["resumed_chunks"] == parts_at_kill  # chunks finished before the kill were not scored again
    assert (done["records"], done["scored"], done["errors"]) == (26, 25, 1)
    errors = (out / "errors.jsonl").read_text().splitlines()
    assert len(errors) == 1 and '"row": 1' in errors[0]
    assert select(str(out), fraction=0.5)["total"]["documents"] == 25


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["corpus_with_error", "short_corpus"])  # 3 files: by file; 2: by chunk range
def test_three_shards_together_equal_the_unsharded_run(
    corpus, reference, embedded, read_scores, same_scores, request, tmp_path
):
    inputs, out = str(request.getfixturevalue(corpus)), str(tmp_path / "sharded")
    for index in (0, 2):
        score_corpus(inputs, out, HEADS, embedded, chunk_docs=4, progress=False, num_shards=3, shard_index=index)
    with pytest.raises(RunError, match=r"1 of 3 shards not finished \(shard index 1\)"):
        select(out)
    score_corpus(inputs, out, HEADS, embedded, chunk_docs=4, progress=False, num_shards=3, shard_index=1)
    scores = read_scores(Path(out))
    same_scores(scores, {k: v for k, v in reference.items() if k in scores})
    errors = (Path(out) / "errors.jsonl").read_text().splitlines()  # merged when the last shard finished
    assert len(errors) == (corpus == "corpus_with_error")
    assert len(scores) == select(out, fraction=0.5)["total"]["documents"] == 24 + (corpus == "corpus_with_error")


@pytest.mark.slow
def test_a_source_changed_between_two_runs_is_scored_again(short_corpus, embedded, tmp_path, capsys):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(short_corpus, corpus)
    out = str(tmp_path / "run")
    score_corpus(str(corpus), out, HEADS, embedded, chunk_docs=5, progress=False)
    math = corpus / "math.jsonl"
    rows = [json.loads(line) for line in math.read_text().splitlines()]
    rows[0]["text"], rows[1]["text"] = rows[1]["text"], rows[0]["text"]  # reordered: same size
    math.write_text("".join(json.dumps(r) + "\n" for r in rows))
    capsys.readouterr()
    again = score_corpus(str(corpus), out, HEADS, embedded, chunk_docs=5, progress=False)
    assert f"{math} changed since it was scored" in capsys.readouterr().err
    assert again.resumed_chunks == 3  # prose.jsonl's chunks; math.jsonl is scored again
    fresh = score_corpus(str(corpus), str(tmp_path / "fresh"), HEADS, embedded, chunk_docs=5, progress=False)
    assert fresh.scored == again.scored == 24
    import pyarrow.parquet as pq

    def by_id(folder):
        return {r["id"]: (r["text_hash"], r["score"]) for r in pq.read_table(f"{folder}/scores").to_pylist()}

    resumed, scratch = by_id(out), by_id(tmp_path / "fresh")
    assert {k: h for k, (h, _) in resumed.items()} == {k: h for k, (h, _) in scratch.items()}  # the new texts
    assert {k: s for k, (_, s) in resumed.items()} == pytest.approx({k: s for k, (_, s) in scratch.items()})
    assert select(out, fraction=0.5)["total"]["documents"] == 24


@pytest.mark.slow
def test_a_chunk_whose_rows_changed_unseen_is_scored_again(short_corpus, embedded, tmp_path, capsys):
    """A same-size edit with the mtime put back passes the file check; the chunk's text hashes catch it."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(short_corpus, corpus)
    out = str(tmp_path / "run")
    score_corpus(str(corpus), out, HEADS, embedded, chunk_docs=5, progress=False)
    math = corpus / "math.jsonl"
    stat = math.stat()
    text = math.read_text()
    first = json.loads(text.splitlines()[7])["text"]
    math.write_text(text.replace(first, first[::-1], 1))  # same size, other text, in chunk 1
    os.utime(math, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    from attention_influence.runs import sources

    monkey = pytest.MonkeyPatch()
    monkey.setattr(sources, "fingerprint", lambda uri, size=None: "unchanged")  # as if the sample missed the edit
    monkey.setattr(sources, "changed", lambda recorded: None)
    capsys.readouterr()
    try:
        again = score_corpus(str(corpus), out, HEADS, embedded, chunk_docs=5, progress=False)
    finally:
        monkey.undo()
    assert "chunk 1 of" in capsys.readouterr().err
    assert again.resumed_chunks == 5 and again.scored == 24
