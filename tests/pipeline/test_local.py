"""The local executor prepares chunks in a thread or in worker processes: the same results."""

from __future__ import annotations

import json

import pytest

from attention_influence import score_corpus
from attention_influence.errors import SettingError
from attention_influence.pipeline.local import default_workers

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"


def test_prepare_workers_give_the_thread_results(short_corpus, embedded, read_scores, same_scores, tmp_path):
    thread = score_corpus(str(short_corpus), str(tmp_path / "thread"), HEADS, embedded, chunk_docs=5, progress=False)
    pool = score_corpus(
        str(short_corpus), str(tmp_path / "pool"), HEADS, embedded, chunk_docs=5, progress=False, prepare_workers=2
    )
    assert (
        (pool.records, pool.scored, pool.tokens)
        == (thread.records, thread.scored, thread.tokens)
        == (24, 24, pool.tokens)
    )
    same_scores(read_scores(tmp_path / "pool"), read_scores(tmp_path / "thread"))
    again = score_corpus(
        str(short_corpus), str(tmp_path / "pool"), HEADS, embedded, chunk_docs=5, progress=False, prepare_workers=2
    )
    assert again.resumed_chunks == 6  # workers check finished chunks against the source, as the thread does
    # the run's summary stays the scoring's (its time, tokens/s, model busy), not the re-run's that scored nothing
    summary = json.loads((tmp_path / "pool" / "summary.json").read_text())
    assert again.tokens_per_second == 0 and pool.tokens_per_second > 0
    assert summary["tokens_per_second"] == pytest.approx(pool.tokens_per_second)
    assert summary["seconds"] == pytest.approx(pool.seconds) and summary["busy_fraction"] > 0


def test_default_workers_leave_the_cpu_to_the_model():
    assert default_workers("cpu") == 0
    assert 1 <= default_workers("cuda") <= 4


def test_bad_worker_counts_are_refused(short_corpus, tmp_path):
    with pytest.raises(SettingError, match="prepare_workers: must be an integer >= 0, got -1"):
        score_corpus(str(short_corpus), str(tmp_path / "x"), HEADS, prepare_workers=-1)
