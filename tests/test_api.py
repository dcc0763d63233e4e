"""The Python API mirrors the CLI: score_corpus, select and run on real files."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from attention_influence import run, score_corpus, select
from attention_influence.runs import RunDir


@pytest.mark.slow
def test_api_run_matches_separate_stages(tmp_path, embedded, gsm8k_texts) -> None:
    corpus = tmp_path / "corpus" / "math"
    corpus.mkdir(parents=True)
    docs = [{"id": f"g{i}", "text": t[:300]} for i, t in enumerate(gsm8k_texts[:4])] + [{"id": "x", "text": "!"}]
    (corpus / "gsm.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs) + "not json\n")
    heads = [(12, 5), (17, 4)]
    result = run([str(tmp_path / "corpus")], str(tmp_path / "a"), heads, embedded, fraction=0.5, progress=False)
    assert result["report"].endswith("/a/report.html") and result["heads"] == heads
    summary = score_corpus(str(tmp_path / "corpus"), str(tmp_path / "b"), heads, embedded, progress=False)
    report = select(str(tmp_path / "b"), fraction=0.5)
    assert (summary.records, summary.scored, summary.unscored, summary.errors) == (6, 4, 1, 1)
    assert result["score"].scored == summary.scored
    assert result["selection"]["domains"] == report["domains"] and report["domains"]["math"]["selected"] == 2
    a = {r["id"]: r for r in pq.ParquetDataset(RunDir(tmp_path / "a").parts()).read().to_pylist()}
    b = {r["id"]: r for r in pq.ParquetDataset(RunDir(tmp_path / "b").parts()).read().to_pylist()}
    assert {k: r["score"] for k, r in a.items()} == {k: r["score"] for k, r in b.items()}
    assert a["x"]["reason"] == "fewer than 2 tokens"
    short, error = [json.loads(line) for line in (tmp_path / "b" / "errors.jsonl").read_text().splitlines()]
    assert (short["row"], short["reason"]) == (4, "fewer than 2 tokens")  # every unscored record is listed
    assert error["row"] == 5 and error["reason"].startswith("invalid JSON")


@pytest.mark.slow
def test_heads_file_is_kept_with_the_run(tmp_path, embedded, gsm8k_texts) -> None:
    from tests.conftest import REPO

    corpus = tmp_path / "corpus" / "math"
    corpus.mkdir(parents=True)
    (corpus / "g.jsonl").write_text("".join(json.dumps({"text": t[:200]}) + "\n" for t in gsm8k_texts[:2]))
    heads_file = REPO / "src" / "attention_influence" / "heads" / "shipped" / "smollm2-135m-instruct.json"
    score_corpus(str(tmp_path / "corpus"), str(tmp_path / "run"), str(heads_file), embedded, progress=False)
    kept = json.loads((tmp_path / "run" / "heads.json").read_text())
    assert kept == json.loads(heads_file.read_text()) and len(kept["scores"]) == 30  # the report's heatmap


@pytest.mark.slow
def test_settings_objects_and_keywords_build_the_same_run(tmp_path, embedded, gsm8k_texts) -> None:
    from attention_influence import ScoreSettings, SelectSettings
    from attention_influence.errors import SettingError

    corpus = tmp_path / "corpus" / "math"
    corpus.mkdir(parents=True)
    (corpus / "g.jsonl").write_text("".join(json.dumps({"text": t[:200]}) + "\n" for t in gsm8k_texts[:3]))
    settings = ScoreSettings(max_length=64, chunk_docs=2)
    a = run(
        str(corpus),
        str(tmp_path / "a"),
        "17:3",
        embedded,
        score=settings,
        selection=SelectSettings(0.5),
        progress=False,
    )
    b = run(
        str(corpus), str(tmp_path / "b"), "17:3", embedded, max_length=64, chunk_docs=2, fraction=0.5, progress=False
    )
    assert a["selection"]["domains"] == b["selection"]["domains"]
    assert json.loads((tmp_path / "a" / "run.json").read_text()) == json.loads(
        (tmp_path / "b" / "run.json").read_text()
    )
    with pytest.raises(SettingError, match="max_lenght: is not a known option"):
        run(str(corpus), str(tmp_path / "c"), "17:3", embedded, max_lenght=64)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("detect", [False, True])
def test_run_stops_at_a_bad_record_before_a_model_loads_or_heads_are_detected(tmp_path, detect) -> None:
    """Under on_error="fail" the plan's sample is read first: a model that cannot load is never
    reached, nor a detection (hours on a GPU) whose heads would be lost."""
    from attention_influence.pipeline.ledger import BadRecordError

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"text": "one two three four"}\n{"text": "open\n')
    (tmp_path / "sentences.txt").write_text("A sentence to build probes from.\n")
    from attention_influence.config import DetectSettings

    detection = DetectSettings(sentences=str(tmp_path / "sentences.txt")) if detect else None
    with pytest.raises(BadRecordError, match=r"corpus\.jsonl:2: invalid JSON .*\(on_error=fail\)"):
        run(
            str(corpus), str(tmp_path / "out"), model=str(tmp_path / "no-such-model"), on_error="fail", detect=detection
        )
    assert not (tmp_path / "out").exists()
