"""The local, Ray (a real local Ray cluster, 2 CPUs, 2 scoring actors) and datatrove executors
run the same chunk pipeline: the same scores, errors, manifests (but the executor's name) and
selections, `explain --run` on each, the same checks, and a killed Ray run resumes."""

from __future__ import annotations

import json
import shutil

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install '.[ray]')")

from attention_influence import score_corpus, select  # noqa: E402
from attention_influence.cli import main  # noqa: E402
from attention_influence.errors import SettingError  # noqa: E402
from attention_influence.pipeline.ledger import BadRecordError  # noqa: E402

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"
OPTIONS = dict(chunk_docs=4, device="cpu", dtype="float32", progress=False)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(corpus_with_error, tmp_path_factory):
    folder = tmp_path_factory.mktemp("executors") / "corpus"
    shutil.copytree(corpus_with_error, folder)
    (folder / "one-token.jsonl").write_text('{"id": "tiny", "text": "a"}\n{"id": "bad\\udcff", "text": "odd id"}\n')
    return folder


@pytest.fixture(scope="module")
def runs(cluster, corpus, embedded, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    summaries = {
        "local": score_corpus(str(corpus), str(root / "local"), HEADS, embedded, chunk_docs=4, progress=False),
        "ray": score_corpus(str(corpus), str(root / "ray"), HEADS, engine="ray", ray_actors=2, **OPTIONS),
        "datatrove": score_corpus(
            str(corpus), str(root / "datatrove"), HEADS, engine="datatrove", tasks=3, workers=1, **OPTIONS
        ),
    }
    return root, summaries


@pytest.mark.parametrize("engine", ["ray", "datatrove"])
def test_every_executor_gives_the_local_results(runs, engine, read_scores, same_scores):
    root, summaries = runs
    local, other = root / "local", root / engine
    counts = ("records", "scored", "unscored", "errors", "tokens", "reasons")
    assert {k: getattr(summaries[engine], k) for k in counts} == {k: getattr(summaries["local"], k) for k in counts}
    assert (summaries["local"].records, summaries["local"].scored) == (28, 25)
    assert summaries["local"].reasons == {
        "fewer than 2 tokens": 1,
        "invalid JSON": 1,
        "id field 'id' is not valid UTF-8": 1,
    }
    assert summaries[engine].peak_memory_bytes > 2**20 and 0 <= summaries[engine].padding_fraction < 1
    same_scores(read_scores(other), read_scores(local))
    assert sorted(p.name for p in (other / "scores").iterdir()) == sorted(p.name for p in (local / "scores").iterdir())
    assert (other / "errors.jsonl").read_text() == (local / "errors.jsonl").read_text()
    manifest, reference = (json.loads((folder / "run.json").read_text()) for folder in (other, local))
    assert manifest.pop("executor") == engine and reference.pop("executor") == "local"
    assert manifest == reference
    assert json.loads((other / "heads.json").read_text()) == json.loads((local / "heads.json").read_text())
    picked, wanted = select(str(other), fraction=0.5), select(str(local), fraction=0.5)
    assert {d: v["selected"] for d, v in picked["domains"].items()} == {
        d: v["selected"] for d, v in wanted["domains"].items()
    }


@pytest.mark.parametrize("engine", ["local", "ray", "datatrove"])
def test_explain_works_on_every_run(runs, engine, capsys):
    root, _ = runs
    assert main(["explain", "math-0", "--run", str(root / engine), "--out", str(root / f"explain-{engine}")]) == 0
    assert "wrote" in capsys.readouterr().out


def test_a_killed_ray_run_scores_only_the_chunks_in_flight(runs, corpus, read_scores, same_scores):
    root, _ = runs
    run = root / "ray"
    parts = sorted((run / "scores").glob("part-*.parquet"))
    lost = parts[1::3]
    for path in lost + [run / "errors.jsonl", *run.glob(".attninf/shards/*.done")]:
        path.unlink()
    kept = {p: p.stat().st_mtime_ns for p in parts if p not in lost}
    resumed = score_corpus(str(corpus), str(run), HEADS, engine="ray", ray_actors=2, **OPTIONS)  # the same command
    assert resumed.resumed_chunks == len(kept) and (resumed.records, resumed.scored) == (28, 25)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # finished chunks are not scored again
    assert all(p.exists() for p in lost)
    same_scores(read_scores(run), read_scores(root / "local"))
    assert (run / "errors.jsonl").read_text() == (root / "local" / "errors.jsonl").read_text()


@pytest.mark.parametrize("engine", ["ray", "datatrove"])
def test_every_executor_stops_at_the_first_bad_record_under_fail(cluster, corpus, engine, tmp_path):
    options = dict(OPTIONS, on_error="fail") | ({"ray_actors": 1} if engine == "ray" else {"tasks": 1, "workers": 1})
    with pytest.raises(BadRecordError) as caught:  # chunks run side by side: any bad record may come first
        score_corpus(str(corpus), str(tmp_path / "run"), HEADS, engine=engine, **options)
    bad = ("one-token.jsonl:1: fewer than 2 tokens", "one-token.jsonl:2: id field", "zbad.jsonl:2: invalid JSON")
    assert any(b in str(caught.value) for b in bad) and str(caught.value).endswith("(on_error=fail)")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("engine", ["ray", "datatrove"])
def test_every_executor_checks_heads_before_any_work(cluster, corpus, engine, tmp_path):
    with pytest.raises(SettingError, match="head 30:0: layer out of range"):
        score_corpus(str(corpus), str(tmp_path / "run"), "30:0", engine=engine, **OPTIONS)
    assert not (tmp_path / "run").exists()
