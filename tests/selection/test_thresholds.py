"""Two-pass selection over score files equals ranking every domain in memory (`rank_domain`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from attention_influence.selection import rank_domain
from attention_influence.selection.thresholds import domain_cuts, selected_rows


def _with_missing_scores(scores: pa.ChunkedArray) -> pa.Array:
    """Every 50th score missing (documents that got no score)."""
    values = scores.to_pylist()
    return pa.array([None if i % 50 == 0 else v for i, v in enumerate(values)], pa.float64())


def _score_files(folder, rows: int = 3000, parts: int = 4, seed: int = 0) -> tuple[list[str], pa.Table]:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "id": [f"doc-{i:05d}" for i in rng.permutation(rows)],
            "domain": rng.choice(["code", "general", "math"], rows),
            "source": ["s.jsonl"] * rows,
            "row": np.arange(rows),
            "n_tokens": rng.integers(2, 500, rows),
            "loss_base": rng.random(rows) + 1,
            "loss_masked": rng.random(rows) + 1,
            "score": np.round(rng.normal(size=rows), 1),  # rounded: many ties
            "text_hash": ["00"] * rows,
        }
    )
    table = table.set_column(7, "score", _with_missing_scores(table["score"]))
    paths = []
    for index, part in enumerate(np.array_split(np.arange(rows), parts)):
        paths.append(str(folder / f"part-{index}.parquet"))
        pq.write_table(table.take(pa.array(part)), paths[-1])
    return paths, table


def _reference(table: pa.Table, fraction: float, by: str) -> set[str]:
    kept = set()
    rows = table.filter(pc.is_valid(table["score"])).to_pydict()
    for domain in set(rows["domain"]):
        pick = [i for i, d in enumerate(rows["domain"]) if d == domain]
        scores = np.array([rows["score"][i] for i in pick])
        ids = np.array([rows["id"][i] for i in pick])
        tokens = np.array([rows["n_tokens"][i] for i in pick])
        kept |= set(ids[rank_domain(scores, ids, tokens, fraction, by)].tolist())
    return kept


@pytest.mark.parametrize("by", ["docs", "tokens"])
@pytest.mark.parametrize("fraction", [0.001, 0.2, 0.5, 1.0])
def test_two_passes_equal_the_in_memory_ranking(tmp_path, by, fraction):
    files, table = _score_files(tmp_path)
    cuts = domain_cuts(files, fraction, by)
    selected = selected_rows(files, cuts, by)
    ids = selected["id"].to_pylist()
    assert len(ids) == len(set(ids))
    assert set(ids) == _reference(table, fraction, by)
    for domain, cut in cuts.items():
        mine = selected.filter(pc.equal(selected["domain"], domain))
        assert min(mine["score"].to_pylist()) == cut.threshold


def test_domain_counts_skip_missing_scores(tmp_path):
    files, table = _score_files(tmp_path, rows=500)
    cuts = domain_cuts(files, 0.2, "docs")
    assert sum(c.documents for c in cuts.values()) == 500 - 10
    assert sorted(cuts) == ["code", "general", "math"]
