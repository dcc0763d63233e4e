"""Two-pass selection over score files equals ranking every domain in memory (`rank_domain`)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from attention_influence.config import GuardSettings
from attention_influence.selection import rank_domain
from attention_influence.selection.guard import excluded_mask
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
            "templated_lines": rng.random(rows) ** 3,  # about a fifth over 0.45
            "list_lines": rng.random(rows) * 0.6,
            "field_lines": np.zeros(rows),
            "digit_share": rng.random(rows) * 0.55,
            "repetition": np.where(rng.random(rows) < 0.05, None, rng.random(rows) * 0.4),  # some not measured
        }
    )
    table = table.set_column(7, "score", _with_missing_scores(table["score"]))
    paths = []
    for index, part in enumerate(np.array_split(np.arange(rows), parts)):
        paths.append(str(folder / f"part-{index}.parquet"))
        pq.write_table(table.take(pa.array(part)), paths[-1])
    return paths, table


def _reference(table: pa.Table, fraction: float, by: str, guard: GuardSettings | None = None) -> set[str]:
    """Every domain ranked in memory: the guard's eligible rows, the fraction of all rows."""
    kept = set()
    table = table.filter(pc.is_valid(table["score"]))
    for domain in set(table["domain"].to_pylist()):
        sub = table.filter(pc.equal(table["domain"], domain))
        eligible = ~excluded_mask(sub, guard or GuardSettings(enabled=False))
        scores, ids = sub["score"].to_numpy()[eligible], sub["id"].to_numpy(zero_copy_only=False)[eligible]
        tokens = sub["n_tokens"].to_numpy()
        picked = rank_domain(scores, ids, tokens[eligible], fraction, by, sub.num_rows, int(tokens.sum()))
        kept |= set(ids[picked].tolist())
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


@pytest.mark.parametrize("by", ["docs", "tokens"])
@pytest.mark.parametrize("fraction", [0.001, 0.2, 0.5, 0.9])
def test_guarded_two_passes_equal_the_in_memory_ranking(tmp_path, by, fraction):
    files, table = _score_files(tmp_path, seed=1)
    guard = GuardSettings(min_tokens=50)
    cuts = domain_cuts(files, fraction, by, guard)
    excluded = []
    selected = selected_rows(files, cuts, by, guard, excluded.append)
    assert set(selected["id"].to_pylist()) == _reference(table, fraction, by, guard)
    valid = table.filter(pc.is_valid(table["score"]))
    out = pa.concat_tables(excluded)
    assert sorted(out["id"].to_pylist()) == sorted(
        valid.filter(pa.array(excluded_mask(valid, guard)))["id"].to_pylist()
    )
    assert not set(out["id"].to_pylist()) & set(selected["id"].to_pylist())
    for domain, cut in cuts.items():
        assert cut.documents == valid.filter(pc.equal(valid["domain"], domain)).num_rows
        assert cut.eligible + sum(cut.excluded.values()) == cut.documents
        if by == "docs":
            kept = selected.filter(pc.equal(selected["domain"], domain)).num_rows
            assert kept == min(cut.eligible, math.ceil(fraction * cut.documents - 1e-9))


def test_domain_counts_skip_missing_scores(tmp_path):
    files, table = _score_files(tmp_path, rows=500)
    cuts = domain_cuts(files, 0.2, "docs")
    assert sum(c.documents for c in cuts.values()) == 500 - 10
    assert sorted(cuts) == ["code", "general", "math"]
