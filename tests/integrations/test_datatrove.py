"""The datatrove steps in a real LocalPipelineExecutor pipeline with the embedded model."""

from __future__ import annotations

import gzip
import json
import pickle

import pytest

pytest.importorskip("datatrove", reason="datatrove is not installed (pip install '.[datatrove]')")

from datatrove.data import Document  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from attention_influence.errors import RunError  # noqa: E402
from attention_influence.integrations.datatrove import (  # noqa: E402
    AttentionInfluenceFilter,
    AttentionInfluenceScorer,
    AttentionInfluenceTopFraction,
)
from attention_influence.scoring import Scorer  # noqa: E402

pytestmark = pytest.mark.slow  # loads the embedded model
HEADS = "17:3,18:6"


def test_pipeline_scores_and_filters_like_the_scorer(gsm8k_texts, embedded, tmp_path):
    texts = [" ".join(t.split()[:10]) for t in gsm8k_texts[:6]] + ["x"]  # "x": too short to score
    expected = Scorer(embedded, HEADS).score_texts(texts)
    scored = sorted(r.score for r in expected if r.score is not None)
    threshold = scored[len(scored) // 2]
    step = AttentionInfluenceScorer(HEADS, device="cpu", dtype="float32", batch_docs=4)
    pickle.loads(pickle.dumps(step))  # steps travel to workers
    pipeline = [
        [Document(text=t, id=str(i)) for i, t in enumerate(texts)],
        step,
        AttentionInfluenceFilter(threshold),
        JsonlWriter(str(tmp_path / "kept")),
    ]
    LocalPipelineExecutor(pipeline, tasks=1, workers=1, logging_dir=str(tmp_path / "logs")).run()

    lines = [json.loads(line) for path in (tmp_path / "kept").iterdir() for line in gzip.open(path, "rt")]
    kept = {int(d["id"]): d["metadata"] for d in lines}
    want = {i for i, r in enumerate(expected) if r.score is not None and r.score >= threshold}
    assert set(kept) == want and len(want) == len(scored) - len(scored) // 2
    for i, meta in kept.items():
        assert meta["attninf_score"] == pytest.approx(expected[i].score, rel=1e-4, abs=1e-6)
        assert meta["attninf_loss_base"] == pytest.approx(expected[i].loss_base, rel=1e-5)
        assert meta["attninf_loss_masked"] == pytest.approx(expected[i].loss_masked, rel=1e-5)


def test_a_document_that_breaks_the_model_costs_only_itself(embedded, tmp_path):
    """The step retries a failing batch one document at a time (as the run pipeline does)."""
    step = AttentionInfluenceScorer(HEADS, device="cpu", dtype="float32", batch_docs=8)
    scorer = Scorer(embedded, HEADS)
    tokenize = scorer.tokenize

    def tokenize_or_fail(texts):
        if any("boom" in t for t in texts):
            raise ValueError("the tokenizer cannot encode this text")
        return tokenize(texts)

    scorer.tokenize = tokenize_or_fail
    step._scorer = scorer
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(["Two plus two is four.", "boom boom", "Cats purr."])]
    out = {d.id: d.metadata for d in step.run(iter(docs))}
    assert out["1"]["attninf_score"] is None and out["1"]["attninf_reason"].startswith("scoring failed (ValueError")
    assert out["0"]["attninf_score"] is not None and out["2"]["attninf_score"] is not None


# --- the top fraction of each domain, over every task's scores --------------------------------


def _text(doc_id: str) -> str:
    """Prose for most ids; every third a templated 'label: value' sheet (the guard excludes it)."""
    if int(doc_id[1:] if doc_id[1:].isdigit() else 1) % 3 == 0:
        return "\n".join(f"field {j} of {doc_id}: value {j}" for j in range(12))
    return f"The text of {doc_id} explains why the result follows, step by step, from what came before."


def _scored_inputs(folder, rows: list[tuple[str, str, float | None, int]]) -> None:
    """JSONL files (one per domain) of documents that carry AttentionInfluenceScorer's metadata."""
    by_domain: dict[str, list[str]] = {}
    for doc_id, domain, score, tokens in rows:
        meta = {
            "attninf_score": score,
            "attninf_loss_base": 2.0,
            "attninf_loss_masked": None,
            "attninf_n_tokens": tokens,
        }
        by_domain.setdefault(domain, []).append(json.dumps({"id": doc_id, "text": _text(doc_id), "metadata": meta}))
    for domain, lines in by_domain.items():
        (folder / domain).mkdir(parents=True, exist_ok=True)
        (folder / domain / "part.jsonl").write_text("\n".join(lines) + "\n")


def _two_pipelines(tmp_path, fraction: float, by: str, tasks: int = 2, **options) -> set[str]:
    from datatrove.pipeline.readers import JsonlReader

    from attention_influence.integrations.datatrove import AttentionInfluenceScoreWriter, AttentionInfluenceTopFraction

    score = LocalPipelineExecutor(
        [
            JsonlReader(str(tmp_path / "in"), glob_pattern="*/*.jsonl"),
            AttentionInfluenceScoreWriter(str(tmp_path / "scores")),
            JsonlWriter(str(tmp_path / "scored")),
        ],
        tasks=tasks, workers=1, logging_dir=str(tmp_path / "logs" / "score"),
    )  # fmt: skip
    keep = LocalPipelineExecutor(
        [
            JsonlReader(str(tmp_path / "scored")),
            AttentionInfluenceTopFraction(str(tmp_path / "scores"), fraction=fraction, by=by, **options),
            JsonlWriter(str(tmp_path / f"kept-{by}")),
        ],
        tasks=tasks, workers=1, logging_dir=str(tmp_path / "logs" / f"keep-{by}"), depends=score,
    )  # fmt: skip
    keep.run()
    kept = [json.loads(line) for path in (tmp_path / f"kept-{by}").iterdir() for line in gzip.open(path, "rt")]
    return {d["id"] for d in kept}


def _expected(rows, fraction: float, by: str, guard) -> set[str]:
    """The ids `attninf select`'s ranking keeps: per domain, the rows the guard lets through
    (measures of each text, its tokens, base loss 2.0), ranked by `reference_cut` with the fraction
    of every scored row."""
    import numpy as np
    import pyarrow as pa

    from attention_influence.measures import text_measures
    from attention_influence.selection.guard import excluded_mask
    from tests.reference import reference_cut

    want = set()
    for domain in ("math", "web"):
        mine = [r for r in rows if r[1] == domain and r[2] is not None]
        table = pa.Table.from_pylist(
            [text_measures(_text(r[0])) | {"n_tokens": r[3], "loss_base": 2.0, "domain": domain} for r in mine]
        )  # the whole domain: too_short's limit is its own (0.15 of its typical document, at most min_tokens)
        eligible = np.flatnonzero(~excluded_mask(table, guard))
        picked = reference_cut(
            np.array([mine[i][2] for i in eligible]),
            np.array([mine[i][0] for i in eligible]),
            np.array([mine[i][3] for i in eligible]),
            fraction,
            by,
            documents=len(mine),
            total_tokens=sum(r[3] for r in mine),
        )
        want |= {mine[eligible[i]][0] for i in picked}
    return want


def _rows() -> list[tuple[str, str, float | None, int]]:
    import numpy as np

    rng = np.random.default_rng(0)
    rows = [(f"m{i:02d}", "math", float(rng.integers(0, 6)), int(rng.integers(5, 50))) for i in range(30)]
    rows += [(f"w{i:02d}", "web", float(rng.normal()), int(rng.integers(5, 50))) for i in range(17)]
    rows.append(("w-none", "web", None, 1))
    return rows


@pytest.mark.parametrize("by", ["docs", "tokens"])
def test_top_fraction_per_domain_is_the_cut_attninf_select_makes(tmp_path, by):
    """Scores spread over two tasks, ties at the cut, an unscored document, the guard off: the
    kept ids are exactly those `reference_cut` (the obvious ranking `attninf select` must equal) keeps in each
    domain."""
    from attention_influence.config import GuardSettings

    rows = _rows()
    _scored_inputs(tmp_path / "in", rows)

    kept = _two_pipelines(tmp_path, 0.3, by, guard=False)

    assert kept == _expected(rows, 0.3, by, GuardSettings(enabled=False))
    assert len([r for r in rows if r[1] == "math" and r[2] == rows[0][2]]) > 1  # ties exist
    assert len(list((tmp_path / "scores").glob("*-of-00002.parquet"))) == 2


def test_top_fraction_leaves_out_what_the_guard_excludes_as_attninf_select_does(tmp_path):
    """The default guard with min_tokens=20: templated sheets and short documents are dropped
    with their rule, and the fraction of each domain is of all its scored documents."""
    from attention_influence.config import GuardSettings

    rows = _rows()
    _scored_inputs(tmp_path / "in", rows)

    kept = _two_pipelines(tmp_path, 0.3, "docs", min_tokens=20)

    guard = GuardSettings(min_tokens=20)
    want = _expected(rows, 0.3, "docs", guard)
    assert kept == want and want != _expected(rows, 0.3, "docs", GuardSettings(enabled=False))
    templated = {r[0] for r in rows if r[2] is not None and r[3] >= 20 and "field 0" in _text(r[0])}
    assert templated and not kept & templated
    step = AttentionInfluenceTopFraction(str(tmp_path / "scores"), fraction=0.3, min_tokens=20)
    scored = [json.loads(line) for path in (tmp_path / "scored").iterdir() for line in gzip.open(path, "rt")]
    verdicts = {d["id"]: step.filter(Document(text=d["text"], id=d["id"], metadata=d["metadata"])) for d in scored}
    assert {verdicts[i] for i in templated} <= {(False, "guard_templated"), (False, "guard_fields")}
    assert (False, "guard_too_short") in verdicts.values()
    bare = Document(text="x", id="bare", metadata={"attninf_domain": "math", "attninf_score": 9.0})
    with pytest.raises(RunError, match="has no attninf_n_tokens"):  # no measures: never decided without them
        step.filter(bare)


def test_missing_task_scores_older_score_files_and_bad_settings_are_named(tmp_path):
    import pyarrow.parquet as pq

    from attention_influence.config import GuardSettings
    from attention_influence.errors import RunError, SettingError
    from attention_influence.integrations.datatrove import AttentionInfluenceTopFraction, domain_thresholds

    with pytest.raises(SettingError, match="fraction: must be a number in \\(0, 1\\], got 1.5"):
        AttentionInfluenceTopFraction(str(tmp_path), fraction=1.5)
    _scored_inputs(tmp_path / "in", [("a", "math", 1.0, 5), ("b", "web", 2.0, 5)])
    _two_pipelines(tmp_path, 0.5, "docs", tasks=2, guard=False)
    assert sorted(domain_thresholds(str(tmp_path / "scores"), guard=GuardSettings(enabled=False))) == ["math", "web"]
    older = tmp_path / "scores" / "00000-of-00002.parquet"  # as an older version wrote it: no run format
    pq.write_table(pq.read_table(older).replace_schema_metadata(None), older)
    (tmp_path / "scores" / "_cuts.json").unlink()
    with pytest.raises(RunError, match="00000-of-00002.parquet was written by another version of attention-influence"):
        domain_thresholds(str(tmp_path / "scores"), guard=GuardSettings(enabled=False))
    older.write_bytes(b"")  # a task that died writing
    with pytest.raises(RunError, match="00000-of-00002.parquet is not a readable score file"):
        domain_thresholds(str(tmp_path / "scores"), guard=GuardSettings(enabled=False))
    (tmp_path / "scores" / "00001-of-00002.parquet").unlink()
    with pytest.raises(RunError, match="the scores of 1 of 2 tasks are missing \\(rank 1\\)"):
        domain_thresholds(str(tmp_path / "scores"))
    unscored = Document(text="x", id="x")
    with pytest.raises(RunError, match="has no attninf_domain"):
        AttentionInfluenceTopFraction(str(tmp_path / "scores")).filter(unscored)


def test_the_embedded_model_scores_and_the_top_half_of_each_folder_is_kept(gsm8k_texts, wikitext_texts, tmp_path):
    """Real scores: the scorer (the embedded model's shipped heads), then the score writer (the
    domain from the folder), then the top half of each domain by the scores of both tasks."""
    from datatrove.pipeline.readers import JsonlReader

    from attention_influence.integrations.datatrove import AttentionInfluenceScoreWriter, AttentionInfluenceTopFraction

    for domain, texts in (("math", gsm8k_texts[:5]), ("prose", wikitext_texts[:5])):
        (tmp_path / "in" / domain).mkdir(parents=True)
        lines = [json.dumps({"id": f"{domain}-{i}", "text": " ".join(t.split()[:10])}) for i, t in enumerate(texts)]
        (tmp_path / "in" / domain / "a.jsonl").write_text("\n".join(lines) + "\n")
    score = LocalPipelineExecutor(
        [
            JsonlReader(str(tmp_path / "in"), glob_pattern="*/*.jsonl"),
            AttentionInfluenceScorer(device="cpu", dtype="float32"),
            AttentionInfluenceScoreWriter(str(tmp_path / "scores")),
            JsonlWriter(str(tmp_path / "scored")),
        ],
        tasks=2, workers=1, logging_dir=str(tmp_path / "logs" / "score"),
    )  # fmt: skip
    keep = LocalPipelineExecutor(
        [
            JsonlReader(str(tmp_path / "scored")),
            AttentionInfluenceTopFraction(str(tmp_path / "scores"), fraction=0.5, guard=False),  # 10-word texts
            JsonlWriter(str(tmp_path / "kept")),
        ],
        tasks=1, workers=1, logging_dir=str(tmp_path / "logs" / "keep"), depends=score,
    )  # fmt: skip
    keep.run()
    scored = [json.loads(line) for path in (tmp_path / "scored").iterdir() for line in gzip.open(path, "rt")]
    kept = {json.loads(line)["id"] for path in (tmp_path / "kept").iterdir() for line in gzip.open(path, "rt")}
    assert len(scored) == 10 and {d["metadata"]["attninf_domain"] for d in scored} == {"math", "prose"}
    for domain in ("math", "prose"):
        ranked = sorted(
            (d for d in scored if d["metadata"]["attninf_domain"] == domain),
            key=lambda d: -d["metadata"]["attninf_score"],
        )
        assert {d["id"] for d in ranked[:3]} == {d for d in kept if d.startswith(domain)}  # ceil(0.5 x 5) = 3
