"""The pieces of the random-heads control and the rank statistics, on exact cases (the control
computed with the embedded model is checked in test_report_sections.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from attention_influence.reports.control import random_heads, sample_rows, summarize
from attention_influence.reports.stats import average_ranks, jaccard, spearman, top_overlap


def test_average_ranks_and_spearman_with_ties():
    assert average_ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([10, 20, 30, 40.0])) == pytest.approx(1.0)
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([4, 3, 2, 1.0])) == pytest.approx(-1.0)
    # ties: Pearson of the average ranks (1, 2.5, 2.5, 4) and (1, 2, 3, 4)
    assert spearman(np.array([1, 2, 2, 3.0]), np.array([1, 2, 3, 4.0])) == pytest.approx(0.9486832980505138)
    assert spearman(np.array([1, 2.0]), np.array([2, 1.0])) is None  # fewer than 3 pairs
    assert spearman(np.array([1, 1, 1.0]), np.array([1, 2, 3.0])) is None  # constant
    assert spearman(np.array([1, 2, np.nan, 3, 4]), np.array([1, 2, 9, 3, 4.0])) == pytest.approx(1.0)


def test_top_overlap_and_jaccard():
    assert top_overlap(np.arange(10.0), np.arange(10.0), 0.3) == (1.0, 3)
    assert top_overlap(np.arange(10.0), -np.arange(10.0), 0.3) == (0.0, 3)
    assert top_overlap(np.array([]), np.array([]), 0.3) == (None, 0)
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3) and jaccard(set(), set()) is None


def test_random_heads_are_seeded_and_never_the_runs():
    run = [(17, 3), (18, 6), (20, 5)]
    drawn = random_heads(30, 9, run, seed=0)
    assert len(drawn) == 3 and not set(drawn) & set(run) and drawn == sorted(drawn)
    assert drawn == random_heads(30, 9, run, seed=0) != random_heads(30, 9, run, seed=1)
    assert all(0 <= layer < 30 and 0 <= head < 9 for layer, head in drawn)
    with pytest.raises(ValueError, match="too few"):
        random_heads(1, 2, [(0, 0), (0, 1)], seed=0)


def test_the_sample_is_seeded_per_domain_and_leaves_out_what_the_guard_excluded():
    rows = 40
    table = pa.table(
        {
            "id": [f"d{i}" for i in range(rows)],
            "domain": ["a" if i % 2 else "b" for i in range(rows)],
            "source": ["s"] * rows,
            "row": list(range(rows)),
            "score": [0.1 * i if i != 3 else None for i in range(rows)],
            "n_tokens": [20 if i < 10 else 400 for i in range(rows)],  # the first ten: too short
        }
    )
    selection = {"guard": {"enabled": True, "min_tokens": 64, "max_templated_text": 1, "max_list_text": 1,
                           "max_field_text": 1, "max_digit_share": 1, "max_repetition": 1,
                           "max_repeated_sentences": 1, "max_structured_text": 1}}  # fmt: skip
    samples = sample_rows(table, selection, size=8, seed=0)
    assert sorted(samples) == ["a", "b"] and all(t.num_rows == 8 for t in samples.values())
    picked = [r for t in samples.values() for r in t["row"].to_pylist()]
    assert min(picked) >= 10  # guard-excluded rows are never sampled (nor the unscored row 3)
    assert all(t["row"].to_pylist() == sorted(t["row"].to_pylist()) for t in samples.values())
    again = sample_rows(table, selection, size=8, seed=0)
    assert {d: t["id"].to_pylist() for d, t in again.items()} == {d: t["id"].to_pylist() for d, t in samples.items()}
    assert sample_rows(table, None, size=100, seed=0)["a"].num_rows == 19  # no selection: every scored row (not 3)


def test_summary_of_a_control():
    control = {
        "domains": {
            "x": {"scores": [0.5, 0.4, 0.3, 0.2, 0.1], "random_scores": [0.1, 0.2, 0.3, 0.4, None]},
        }
    }
    (summary,) = summarize(control, fraction=0.5).values()
    assert summary["documents"] == 4  # a document whose text was gone has no random score
    assert summary["spearman"] == pytest.approx(-1.0)
    assert (summary["top_overlap"], summary["k"]) == (0.0, 2)
    assert summary["mean_score"] == pytest.approx(0.35) and summary["mean_random_score"] == pytest.approx(0.25)


def test_the_control_bar_moves_with_each_batch(tmp_path, tiny_model_folder, monkeypatch):
    """A domain's sample is scored in batches and the bar moves after each, not once per domain
    (a bar that waits a whole domain looks like a hang); every document and token is counted.
    Each text is 72 tokens of the tiny model's word-level tokenizer."""
    from attention_influence import api
    from attention_influence.models import load_model
    from attention_influence.reports import control
    from attention_influence.runs import RunDir
    from attention_influence.scoring import sizing
    from tests.runs.fake import text_run

    texts = [f"the city {i} was known for its school and its university . " * 6 for i in range(5)]
    text_run(tmp_path, texts, n_tokens=72)
    api.select(str(tmp_path / "run"), fraction=0.4, guard=False, write_documents=False)
    updates: list[tuple[int, int]] = []

    class Recorded(control.Progress):
        def update(self, n: int, tokens: int = 0) -> None:
            updates.append((n, tokens))
            super().update(n, tokens)

    monkeypatch.setattr(control, "Progress", Recorded)
    monkeypatch.setattr(sizing, "CPU_BATCH_TOKENS", 64)  # one 64-token window per batch
    result = control.compute_control(RunDir(str(tmp_path / "run")), load_model(str(tiny_model_folder)), seed=0)
    assert all(v is not None for v in result["domains"]["web"]["random_scores"])
    assert len(updates) >= 3  # the tokens (and the rates, the ETA) move after each 64-token batch
    assert sum(n for n, _ in updates) == 5 and sum(t for _, t in updates) >= 5 * 72  # every document, every token
