"""The Ray engine on a real local Ray cluster (2 CPUs, 2 scoring actors) against the local engine."""

from __future__ import annotations

import shutil

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
    corpus, local, distributed = tmp_path / "corpus", tmp_path / "local", tmp_path / "ray"
    shutil.copytree(corpus_with_error, corpus)
    (corpus / "one-token.jsonl").write_text('{"id": "tiny", "text": "a"}\n')  # read, but no score
    score_corpus(str(corpus), str(local), HEADS, embedded, chunk_docs=4, progress=False)
    options = dict(actors=2, chunk_docs=4, device="cpu", dtype="float32", progress=False)
    summary = score_corpus_ray(str(corpus), str(distributed), HEADS, **options)
    assert (summary.records, summary.scored, summary.unscored, summary.errors) == (27, 25, 1, 1)
    assert summary.reasons == {"fewer than 2 tokens": 1, "invalid JSON": 1}
    assert summary.peak_memory_bytes > 2**20 and 0 <= summary.padding_fraction < 1  # reported by the actors
    same_scores(read_scores(distributed), read_scores(local))
    errors = (distributed / "errors.jsonl").read_text()
    assert errors == (local / "errors.jsonl").read_text() and '"id": "tiny"' in errors  # every record accounted for
    local_domains = select(str(local), fraction=0.5)["domains"]  # means: summed in another order, not bit-equal
    assert select(str(distributed), fraction=0.5)["domains"] == {d: pytest.approx(v) for d, v in local_domains.items()}
    again = score_corpus_ray(str(corpus), str(distributed), HEADS, actors=2, progress=False)
    assert again.scored == 25  # a finished shard is not scored again

    # killed mid-run: the completion marker and the merged errors are not written yet, and the
    # chunks in flight have no part file; a restart scores only those and ends with the same files
    scores = distributed / "scores"
    parts = sorted(scores.glob("s00000-of-00001-c*.parquet"))
    assert len(parts) >= 6 and all(p.name.count("-") == 4 for p in parts)  # c<slice>-<chunk>
    lost = parts[1::3]
    for path in lost + [distributed / "errors.jsonl", *scores.glob("_shard-*.done")]:
        path.unlink()
    kept = {p: p.stat().st_mtime_ns for p in parts if p not in lost}
    resumed = score_corpus_ray(str(corpus), str(distributed), HEADS, **options)  # the same command again
    assert resumed.resumed_chunks == len(kept) and (resumed.records, resumed.scored) == (27, 25)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # finished chunks are not scored again
    assert all(p.exists() for p in lost)
    same_scores(read_scores(distributed), read_scores(local))
    assert (distributed / "errors.jsonl").read_text() == errors


def test_a_text_that_breaks_the_tokenizer_costs_only_itself():
    from attention_influence.distributed.ray_engine import _tokenize

    def tokenizer(texts, add_special_tokens=True):
        if "\udcff" in "".join(texts):
            raise ValueError("cannot encode")
        return {"input_ids": [[len(t)] for t in texts]}

    ids, failures = _tokenize(tokenizer, ["ab", "bad \udcff", "abc"])
    assert ids == [[2], [], [3]]
    assert failures == [None, "scoring failed (ValueError: cannot encode)", None]
