"""A complete run folder built from score rows, without a model (selection and report tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from attention_influence.measures import text_measures
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import SCORE_SCHEMA, text_hash
from attention_influence.runs.sources import describe

MANIFEST = {
    "executor": "local",
    "model": {"name": "embedded:SmolLM2-135M-Instruct", "fingerprint": "sha256:test"},
    "dtype": "float32",
    "heads": [[17, 3]],
    "settings": {
        "fields": {"text": "text", "id": "id", "domain_field": "domain", "domain": None},
        "max_length": 64,
        "truncate": False,
        "chunk_docs": 1024,
    },
}


def score_rows(rows: list[dict]) -> pa.Table:
    """SCORE_SCHEMA rows; missing columns are null."""
    return pa.Table.from_pylist(
        [{name: row.get(name) for name in SCORE_SCHEMA.names} for row in rows], schema=SCORE_SCHEMA
    )


def fake_run(
    out: str, parts: list[pa.Table], sources: list[str] = (), errors: list[list[dict]] | None = None
) -> RunDir:
    """A finished one-shard run in `out` whose part k holds `parts[k]` (source index k)."""
    run = RunDir(out)
    run.claim(MANIFEST | {"sources": [describe(s).as_dict() for s in sources]})
    run.start_shard(1, 0)
    for k, table in enumerate(parts):
        run.write_chunk(k, 0, table, (errors or [[]] * len(parts))[k])
    run.finish_shard(1, 0, {"records": sum(t.num_rows for t in parts), "seconds": 1.0})
    return run


def text_run(folder: Path, texts: list[str], n_tokens: int = 100, measures: dict | None = None) -> Path:
    """A finished run (FOLDER/run) of `texts`, one JSONL file FOLDER/web/docs.jsonl in domain "web",
    with made-up scores that rise with the row and `measures` (the same for every row)."""
    source = folder / "web" / "docs.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    rows = [
        dict(id=f"d{i}", domain="web", source=str(source), row=i, n_tokens=n_tokens, loss_base=2.0)
        | dict(loss_masked=2.2 + i / 10, score=0.1 + i / 20, text_hash=text_hash(t))
        | (measures or {})
        for i, t in enumerate(texts)
    ]
    fake_run(str(folder / "run"), [score_rows(rows)], [str(source)])
    return folder / "run"


def stored_run(folder: Path, docs: list[dict], scores: dict[str, dict]) -> Path:
    """A run folder (FOLDER/run) holding `docs` ({"id", "domain", "text"}) as one corpus file, with the
    model scores stored for each id in `scores` and the text measures of the code as it is now."""
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs))
    rows = []
    for row, doc in enumerate(docs):
        score = {k: scores[doc["id"]][k] for k in ("n_tokens", "loss_base", "loss_masked", "score")}
        place = dict(id=doc["id"], domain=doc["domain"], source=str(corpus), row=row, text_hash=text_hash(doc["text"]))
        rows.append(place | score | text_measures(doc["text"]))
    fake_run(str(folder / "run"), [score_rows(rows)], [str(corpus)])
    return folder / "run"
