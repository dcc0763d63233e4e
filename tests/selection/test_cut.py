"""The cut (selection/cut.py): its two passes over score files equal the obvious in-memory ranking
(tests/reference.py `reference_cut`), and the three places that cut a domain (`attninf select` over a
run's files, the report's `selected_mask` in memory, the datatrove step's cuts) keep the same ids,
ties included."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from attention_influence.config import GuardSettings
from attention_influence.selection.cut import domain_cuts, file_tables, memory_tables, selected_rows
from attention_influence.selection.guard import excluded_mask
from tests.reference import reference_cut


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
            "templated_text": rng.random(rows) ** 3,  # about a sixth over 0.55
            "list_text": rng.random(rows) * 0.6,
            "field_text": np.zeros(rows),
            "digit_share": rng.random(rows) * 0.55,
            "repetition": np.where(rng.random(rows) < 0.05, None, rng.random(rows) * 0.4),  # some not measured
            "repeated_sentences": rng.random(rows) * 0.6,
        }
    )
    structured = np.minimum(1, np.maximum(table["templated_text"], table["list_text"]) + rng.random(rows) * 0.2)
    table = table.append_column("structured_text", pa.array(structured))  # the three together: about 0.6 or more
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
        picked = reference_cut(scores, ids, tokens[eligible], fraction, by, sub.num_rows, int(tokens.sum()))
        kept |= set(ids[picked].tolist())
    return kept


@pytest.mark.parametrize("by", ["docs", "tokens"])
@pytest.mark.parametrize("fraction", [0.001, 0.2, 0.5, 1.0])
def test_two_passes_equal_the_in_memory_ranking(tmp_path, by, fraction):
    files, table = _score_files(tmp_path)
    cuts = domain_cuts(file_tables(files), fraction, by)
    selected = selected_rows(file_tables(files), cuts, by)
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
    cuts = domain_cuts(file_tables(files), fraction, by, guard)
    excluded = []
    selected = selected_rows(file_tables(files), cuts, by, guard, excluded.append)
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


def test_a_domain_without_token_counts_keeps_the_plain_too_short_limit():
    rows = [{"id": "a1", "domain": "a", "score": 0.1, "n_tokens": None}, {"id": "b1", "domain": "b", "score": 0.2}]
    measures = dict.fromkeys(["templated_text", "list_text", "field_text", "digit_share", "repetition"], 0.0)
    measures |= dict.fromkeys(["repeated_sentences", "structured_text"], 0.0)
    table = pa.Table.from_pylist([r | {"n_tokens": r.get("n_tokens", 100)} | measures for r in rows])
    cuts = domain_cuts(memory_tables(table), 0.5, "docs", GuardSettings(min_tokens=55))
    assert {name: cut.min_tokens for name, cut in cuts.items()} == {"a": 55.0, "b": 15.0}  # 0.15 x 100


def test_domain_counts_skip_missing_scores(tmp_path):
    files, table = _score_files(tmp_path, rows=500)
    cuts = domain_cuts(file_tables(files), 0.2, "docs")
    assert sum(c.documents for c in cuts.values()) == 500 - 10
    assert sorted(cuts) == ["code", "general", "math"]


def _tied_rows(rows: int = 240, seed: int = 3) -> list[dict]:
    """Score rows of three domains: scores on a coarse grid (many ties at every cut), some rows
    the default guard excludes (short, templated), measures for every rule; code's documents are
    short (its typical document, holding its median token, 60 tokens: its too_short limit is
    0.15 x 60 = 9, the others' 55)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(rows):
        out.append(
            {
                "id": f"d{rng.integers(0, 10**6):06d}-{i}",
                "domain": ["code", "general", "math"][i % 3],
                "row": i,
                "n_tokens": int(rng.choice([8, 40, 60] if i % 3 == 0 else [40, 200, 400])),  # code: short
                "loss_base": 2.0,
                "loss_masked": 2.5,
                "score": float(rng.integers(0, 6)) / 4,
                "repetition": 0.0,
                "repeated_sentences": 0.0,
                "templated_text": float(rng.choice([0.1, 0.1, 0.1, 0.9])),
                "list_text": 0.0,
                "field_text": 0.0,
                "digit_share": 0.0,
                "structured_text": 0.0,
            }
        )
    return out


def _select_ids(tmp_path, rows: list[dict], settings) -> set[str]:
    """`attninf select` over a run folder (streaming over its score files): the selected ids."""
    from attention_influence.runs.schema import text_hash
    from attention_influence.selection import select
    from tests.runs.fake import fake_run, score_rows

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": r["id"], "text": f"text {r['id']}"}) + "\n" for r in rows))
    scored = [r | {"source": str(corpus), "text_hash": text_hash(f"text {r['id']}"), "truncated": False} for r in rows]
    half = len(scored) // 2
    fake_run(str(tmp_path / "run"), [score_rows(scored[:half]), score_rows(scored[half:])], [str(corpus)] * 2)
    select(str(tmp_path / "run"), settings)
    return {json.loads(line)["id"] for f in (tmp_path / "run" / "selected").iterdir() for line in f.open()}


def _memory_ids(tmp_path, selection: dict) -> set[str]:
    """The report's and compare's in-memory cut (`selected_mask`) of the same run."""
    from attention_influence.runs.rundir import RunDir
    from attention_influence.selection import selected_mask

    table = RunDir(str(tmp_path / "run")).read_scores()
    return set(np.array(table["id"].to_pylist())[selected_mask(table, selection)].tolist())


def _datatrove_ids(tmp_path, rows: list[dict], settings) -> set[str]:
    """The datatrove top-fraction step over the same rows written as two tasks' score files."""
    from datatrove.data import Document

    from attention_influence.integrations.datatrove import PREFIX, AttentionInfluenceTopFraction, _score_schema

    folder = tmp_path / "dt-scores"
    folder.mkdir()
    schema = _score_schema()
    half = len(rows) // 2
    for rank, part in enumerate((rows[:half], rows[half:])):
        table = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in part], schema=schema)
        pq.write_table(table, folder / f"{rank:05d}-of-00002.parquet")
    guard = settings.guard
    step = AttentionInfluenceTopFraction(str(folder), settings.fraction, settings.by, guard=guard)
    kept = set()
    for r in rows:
        metadata = {PREFIX + name: value for name, value in r.items() if name not in ("id", "row")}
        if step.filter(Document(text="t", id=r["id"], metadata=metadata)) is True:
            kept.add(r["id"])
    return kept


@pytest.mark.parametrize("by", ["docs", "tokens"])
@pytest.mark.parametrize("guard", [True, False])
def test_select_the_report_and_datatrove_keep_the_same_ids(tmp_path, by, guard):
    """One cut: the same scores, ties at every threshold, the guard on or off, give the same ids
    in `attninf select`, the report's in-memory mask and the datatrove step, and they are the
    obvious ranking's."""
    from attention_influence.config import select_settings

    rows = _tied_rows()
    settings = select_settings(fraction=0.3, by=by, guard=guard)
    selected = _select_ids(tmp_path, rows, settings)
    selection = json.loads((tmp_path / "run" / "selection.json").read_text())
    table = pa.Table.from_pylist(rows)
    assert selected == _reference(table, 0.3, by, settings.guard)
    assert _memory_ids(tmp_path, selection) == selected
    assert _datatrove_ids(tmp_path, rows, settings) == selected
    limits = {domain: d["min_tokens"] for domain, d in selection["domains"].items()}
    assert limits == ({"code": 9.0, "general": 55.0, "math": 55.0} if guard else dict.fromkeys(limits))
    cut_through = 0  # domains whose threshold falls inside a tie: some rows at it kept, some not
    for domain, d in selection["domains"].items():
        at = {r["id"] for r in rows if r["domain"] == domain and r["score"] == d["threshold"]}
        cut_through += 0 < len(at & selected) < len(at)
    assert cut_through >= 2
