"""Per-domain selection: fractions by documents or tokens, deterministic ties, outputs."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.corpus.writers import SCORE_SCHEMA, write_table
from attention_influence.selection import SelectionError, rank_domain, select


def _score_rows(source: str, domain: str, scores, tokens):
    return [
        dict(
            id=f"{domain}-{i}",
            domain=domain,
            source=source,
            row=i,
            n_tokens=t,
            loss_base=1.0,
            loss_masked=None if s is None else 1.0 + s,
            score=s,
            reason=None,
            truncated=False,
        )
        for i, (s, t) in enumerate(zip(scores, tokens, strict=True))
    ]


@pytest.fixture()
def run_dir(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    math_docs = [{"text": f"math {i}", "keep": i} for i in range(10)]
    (src / "math.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(d) + "\n" for d in math_docs).encode()))
    pq.write_table(pa.Table.from_pylist([{"text": f"web {i}", "n": i} for i in range(5)]), src / "web.parquet")
    rows = _score_rows(str(src / "math.jsonl.gz"), "math", [0.1 * i for i in range(10)], [10] * 10)
    rows += _score_rows(str(src / "web.parquet"), "web", [0.5, 0.9, None, 0.3, 0.7], [100, 10, 5, 10, 10])
    out = tmp_path / "run"
    write_table(str(out / "scores" / "part-00000.parquet"), pa.Table.from_pylist(rows, schema=SCORE_SCHEMA))
    return out


def test_top_fraction_per_domain_by_documents(run_dir) -> None:
    report = select(str(run_dir), fraction=0.2)
    assert report["domains"]["math"]["selected"] == 2  # top 20% of 10
    assert report["domains"]["math"]["threshold"] == pytest.approx(0.8)
    assert report["domains"]["web"]["documents"] == 4  # the unscored row is not ranked
    assert report["domains"]["web"]["selected"] == 1  # ceil(0.2 * 4)
    assert json.loads((run_dir / "selection.json").read_text())["domains"] == report["domains"]
    files = sorted((run_dir / "selected").iterdir())
    assert [f.name for f in files] == ["00000-math.jsonl.gz", "00001-web.parquet"]
    kept = [json.loads(line) for line in gzip.decompress(files[0].read_bytes()).decode().splitlines()]
    assert [d["keep"] for d in kept] == [8, 9]  # input order, original fields kept
    assert kept[1]["attninf_score"] == pytest.approx(0.9) and kept[1]["attninf_domain"] == "math"
    web = pq.read_table(files[1]).to_pylist()
    assert [(d["n"], d["attninf_score"]) for d in web] == [(1, 0.9)]


def test_a_new_selection_replaces_the_files_of_the_last(run_dir) -> None:
    stray = run_dir / "selected" / "00007-gone.jsonl"
    stray.parent.mkdir(parents=True)
    stray.write_text('{"text": "from an earlier selection"}\n')
    select(str(run_dir), fraction=0.2)
    assert sorted(f.name for f in (run_dir / "selected").iterdir()) == ["00000-math.jsonl.gz", "00001-web.parquet"]
    select(str(run_dir), fraction=0.5)
    kept = gzip.decompress((run_dir / "selected" / "00000-math.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(kept) == 5 and len(list((run_dir / "selected").iterdir())) == 2


def test_fraction_by_tokens(run_dir) -> None:
    report = select(str(run_dir), fraction=0.5, by="tokens", write_documents=False)
    web = report["domains"]["web"]  # tokens 130 in all; best first: 0.9 (10), 0.7 (10), 0.5 (100)
    assert (web["selected"], web["selected_tokens"]) == (3, 120)


def test_ties_are_broken_by_id() -> None:
    scores = np.array([1.0, 2.0, 1.0, 1.0])
    ids = np.array(["d", "z", "b", "c"])
    assert rank_domain(scores, ids, np.ones(4), 0.75, "docs").tolist() == [1, 2, 3]


def test_bad_fraction_and_missing_scores(tmp_path, run_dir) -> None:
    for fraction in (0, -0.1, 1.5):
        with pytest.raises(SelectionError, match="fraction"):
            select(str(run_dir), fraction=fraction)
    with pytest.raises(SelectionError, match="no scores"):
        select(str(tmp_path / "empty"))
