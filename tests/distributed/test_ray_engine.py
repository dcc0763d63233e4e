"""The Ray engine on a real local Ray cluster (2 CPUs, 2 scoring actors) against the local engine."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (extra attention-influence[ray])")

from attention_influence.distributed.ray_engine import score_corpus_ray  # noqa: E402
from attention_influence.scoring import score_corpus  # noqa: E402
from attention_influence.selection import select  # noqa: E402

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_scores_equal_the_local_engine(cluster, corpus_with_error, embedded, read_scores, same_scores, tmp_path):
    local, distributed = tmp_path / "local", tmp_path / "ray"
    score_corpus(str(corpus_with_error), str(local), HEADS, embedded, chunk_docs=4, progress=False)
    summary = score_corpus_ray(
        str(corpus_with_error),
        str(distributed),
        HEADS,
        actors=2,
        chunk_docs=4,
        device="cpu",
        dtype="float32",
        progress=False,
    )
    assert (summary.records, summary.scored, summary.errors) == (26, 25, 1)
    same_scores(read_scores(distributed), read_scores(local))
    assert (distributed / "errors.jsonl").read_text() == (local / "errors.jsonl").read_text()
    assert select(str(distributed), fraction=0.5)["domains"] == select(str(local), fraction=0.5)["domains"]
    again = score_corpus_ray(str(corpus_with_error), str(distributed), HEADS, actors=2, progress=False)
    assert again.scored == 25  # a finished shard is not scored again
