"""`select` behind the guard, on run folders built from score rows (no model): exclusion before
ranking with the fraction of all documents, counts per rule in selection.json, the excluded
documents with their reasons in DIR/excluded.parquet, settings, and a run without the measure
columns the guard needs."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.cli import main
from attention_influence.config import GuardSettings, SelectSettings, select_settings
from attention_influence.errors import RunError, SettingError
from attention_influence.reports.html import domain_views
from attention_influence.runs.rundir import RunDir
from attention_influence.runs.schema import text_hash
from attention_influence.selection import select
from tests.runs.fake import fake_run, score_rows

FINE = dict(repetition=0.0, repeated_sentences=0.0, templated_text=0.1, list_text=0.1, function_words=0.3)
FINE |= dict(compression_ratio=0.5)
# (id, score, n_tokens, loss_base, measures changed): the best scores belong to documents the guard excludes
DOCS = [
    ("a-table", 0.90, 300, 0.5, {"templated_text": 0.9}),  # templated
    ("b-list", 0.80, 200, 2.0, {"list_text": 0.8}),
    ("c-short", 0.70, 20, 2.0, {}),
    ("d-looped", 0.60, 200, 2.0, {"repetition": 0.6}),
    ("e-sheet", 0.55, 200, 0.3, {"field_text": 0.9}),
    ("f", 0.50, 200, 2.0, {}),
    ("g", 0.40, 200, 2.0, {}),
    ("h", 0.30, 200, 2.0, {}),
    ("i", 0.20, 200, 2.0, {}),
    ("j", 0.10, 200, 2.0, {}),
]


@pytest.fixture()
def run_dir(tmp_path):
    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps({"id": d[0], "text": f"text of {d[0]}"}) + "\n" for d in DOCS))
    rows = [
        dict(id=name, domain="web", source=str(source), row=i, n_tokens=tokens, loss_base=base)
        | dict(loss_masked=base * (1 + score), score=score, text_hash=text_hash(f"text of {name}"))
        | FINE
        | changed
        for i, (name, score, tokens, base, changed) in enumerate(DOCS)
    ]
    fake_run(str(tmp_path / "run"), [score_rows(rows)], [str(source)])
    return tmp_path / "run"


def _kept(run_dir) -> list[str]:
    return [json.loads(line)["id"] for line in next((run_dir / "selected").iterdir()).read_text().splitlines()]


def test_the_guard_is_on_by_default_and_excludes_before_ranking(run_dir):
    report = select(str(run_dir), fraction=0.3)
    web = report["domains"]["web"]
    assert _kept(run_dir) == ["f", "g", "h"]  # ceil(0.3 x 10 documents), the best eligible ones
    assert (web["documents"], web["eligible"], web["selected"]) == (10, 5, 3)
    assert web["threshold"] == pytest.approx(0.30)
    assert web["excluded"] == {
        "too_short": 1, "templated": 1, "list": 1, "fields": 1, "numeric": 0, "repeated": 1, "sentences": 0,
        "structured": 0,
    }  # fmt: skip
    assert report["total"]["excluded"] == web["excluded"]
    assert report["guard"] == {f: getattr(GuardSettings(), f) for f in GuardSettings.__dataclass_fields__}
    excluded = pq.read_table(run_dir / "excluded.parquet").to_pylist()
    assert report["excluded_file"] == str(run_dir / "excluded.parquet")
    reasons = {row["id"]: (row["rule"], row["reason"]) for row in excluded}
    assert reasons == {
        "a-table": ("templated", "templated text 0.90 > 0.55"),
        "b-list": ("list", "list text 0.80 > 0.6"),
        "c-short": ("too_short", "too short: 20 tokens < 30"),  # 0.15 x its typical 200
        "d-looped": ("repeated", "repeated text 0.60 > 0.48"),
        "e-sheet": ("fields", "label: value text 0.90 > 0.25"),
    }
    row = next(r for r in excluded if r["id"] == "b-list")
    assert row["score"] == pytest.approx(0.8) and row["list_text"] == pytest.approx(0.8) and row["row"] == 1
    assert json.loads((run_dir / "selection.json").read_text())["domains"] == report["domains"]


def test_the_selection_says_what_the_guard_cost(run_dir):
    """selection.json holds, per domain, the selection without the guard against the one made; each
    excluded row says whether the selection without the guard would have kept it."""
    report = select(str(run_dir), fraction=0.3)
    cost = report["domains"]["web"]["without_guard"]
    assert cost == {"threshold": pytest.approx(0.7), "selected": 3, "kept": 0, "overlap": 0.0, "excluded": 3}
    marked = {row["id"]: row["would_be_selected"] for row in pq.read_table(run_dir / "excluded.parquet").to_pylist()}
    assert marked == {"a-table": True, "b-list": True, "c-short": True, "d-looped": False, "e-sheet": False}
    assert report["total"]["without_guard"] == {"selected": 3, "kept": 0, "overlap": 0.0, "excluded": 3}
    wide = select(str(run_dir), fraction=0.8)["domains"]["web"]["without_guard"]  # 8 without the guard, 5 with it
    assert (wide["selected"], wide["kept"], wide["overlap"], wide["excluded"]) == (8, 3, 3 / 8, 5)
    assert select(str(run_dir), fraction=0.3, guard=False)["domains"]["web"]["without_guard"] is None


def test_when_few_documents_are_eligible_all_of_them_are_kept(run_dir):
    report = select(str(run_dir), fraction=0.8)  # 8 wanted, 5 eligible
    assert report["domains"]["web"]["selected"] == 5
    assert sorted(_kept(run_dir)) == ["f", "g", "h", "i", "j"]


def test_by_tokens_the_budget_is_of_all_tokens(run_dir):
    report = select(str(run_dir), fraction=0.3, by="tokens")  # 0.3 x 1,820 tokens = 546: f, g, h (600 > 546)
    assert _kept(run_dir) == ["f", "g", "h"]
    assert report["domains"]["web"]["selected_tokens"] == 600


def test_settings_switch_rules_or_the_guard_off(run_dir):
    select(str(run_dir), fraction=0.3, guard=False)
    assert _kept(run_dir) == ["a-table", "b-list", "c-short"]
    assert pq.read_table(run_dir / "excluded.parquet").num_rows == 0  # no stale exclusions
    report = select(str(run_dir), fraction=0.3, min_tokens=0, max_templated_text=1, max_field_text=1)
    assert _kept(run_dir) == ["a-table", "c-short", "e-sheet"]
    on = {"list": 1, "numeric": 0, "repeated": 1, "sentences": 0, "structured": 0}  # the rules still on
    assert report["domains"]["web"]["excluded"] == on
    select(str(run_dir), SelectSettings(0.3, guard=GuardSettings(max_list_text=0.9, max_repetition=0.7)))
    assert _kept(run_dir) == ["b-list", "d-looped", "f"]


def test_the_report_counts_the_guard_cost_in_words(run_dir):
    from attention_influence.reports.html import _guard_cost

    (view,) = domain_views(RunDir(run_dir).read_scores(), select(str(run_dir), fraction=0.1))  # a-table -> f
    assert "would hold 1 document; this one holds 0 of them" in _guard_cost(view)
    assert "excluded 1 of them; 1 document from below the cut without the guard takes its place." in _guard_cost(view)
    (view,) = domain_views(RunDir(run_dir).read_scores(), select(str(run_dir), fraction=0.3))
    assert "would hold 3 documents;" in _guard_cost(view) and "3 documents from below" in _guard_cost(view)


def test_report_marks_what_the_guarded_selection_kept_and_excluded(run_dir):
    selection = select(str(run_dir), fraction=0.3)
    (view,) = domain_views(RunDir(run_dir).read_scores(), selection)
    ids = view.table["id"].to_pylist()
    assert sorted(i for i, kept in zip(ids, view.selected, strict=True) if kept) == _kept(run_dir)
    assert sorted(i for i, out in zip(ids, view.excluded, strict=True) if out) == sorted(i for i, *_ in DOCS[:5])


@pytest.mark.parametrize(
    ("options", "setting", "says"),
    [
        ({"guard": False, "max_repetition": 0.2}, "max_repetition", "has no effect with the guard off"),
        ({"min_tokens": -1}, "min_tokens", "must be an integer >= 0, got -1"),
        ({"max_templated_text": 1.5}, "max_templated_text", "must be a number in [0, 1], got 1.5"),
        ({"min_loss_base": 0.8}, "min_loss_base", "is not a setting of SelectSettings"),  # no rule reads a loss
        ({"guard": "on"}, "guard", "must be a GuardSettings or true/false, got str"),
        ({"max_lines": 0.2}, "max_lines", "is not a setting of SelectSettings"),
        ({"max_templated": 0.5}, "max_templated", "max_templated_text, min_tokens, output_layout)"),
    ],
)
def test_bad_guard_settings_name_the_setting(run_dir, options, setting, says):
    with pytest.raises(SettingError) as caught:
        select(str(run_dir), **options)
    assert caught.value.setting == setting and says in caught.value.detail
    assert not (run_dir / "selection.json").exists()


def test_flat_thresholds_and_settings_objects_agree():
    assert select_settings(fraction=0.1, max_list_text=0.7) == SelectSettings(
        0.1, guard=GuardSettings(max_list_text=0.7)
    )
    assert SelectSettings(guard=False).guard == GuardSettings(enabled=False)


def test_a_run_without_the_measure_columns_is_refused_with_what_to_do(tmp_path):
    """Runs scored before the measures existed: their rows lack the guard's columns."""
    rows = [dict(id=f"d{i}", domain="web", source="/c/a.jsonl", row=i, n_tokens=100, loss_base=2.0, score=0.1 * i)
            for i in range(4)]  # fmt: skip
    table = score_rows(rows).drop_columns(["templated_text", "list_text"])
    fake_run(str(tmp_path / "run"), [table])
    with pytest.raises(RunError) as caught:
        select(str(tmp_path / "run"))
    message = str(caught.value)
    assert "no templated_text, list_text column" in message and "--no-guard" in message
    assert "\n" not in message and not (tmp_path / "run" / "selection.json").exists()
    report = select(str(tmp_path / "run"), guard=False, write_documents=False)  # what the message says works
    assert report["domains"]["web"]["selected"] == 1
    select(str(tmp_path / "run"), max_templated_text=1, max_list_text=1, write_documents=False)  # so does this


def test_cli_flags_reach_the_guard(run_dir, capsys):
    assert main(["select", str(run_dir), "--fraction", "0.3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "excluded" in out and "too_short 1" in out and "excluded.parquet" in out
    argv = ["select", str(run_dir), "--fraction", "0.3", "--guard-min-tokens", "0", "--guard-max-templated", "1"]
    assert main(argv + ["--guard-max-fields", "1", "--no-progress"]) == 0
    assert _kept(run_dir) == ["a-table", "c-short", "e-sheet"]
    assert main(["select", str(run_dir), "--fraction", "0.3", "--max-repetition", "0.7", "--guard-max-list", "1"]) == 0
    assert _kept(run_dir) == ["b-list", "d-looped", "f"]
    assert main(["select", str(run_dir), "--fraction", "0.3", "--no-guard"]) == 0
    assert _kept(run_dir) == ["a-table", "b-list", "c-short"] and "guard: off" in capsys.readouterr().out
    assert main(["select", str(run_dir), "--no-guard", "--max-repetition", "0.2"]) == 2
    assert "--max-repetition: has no effect with the guard off" in capsys.readouterr().err


def test_a_too_short_limit_lowered_by_the_domain_is_printed_and_recorded(run_dir, capsys):
    """The domain's typical document (holding its median token) has 200 tokens: its limit is at most
    0.15 x 200 = 30."""
    assert main(["select", str(run_dir), "--fraction", "0.3", "--guard-min-tokens", "25", "--no-progress"]) == 0
    assert "too short below" not in capsys.readouterr().out  # 25: not lowered
    assert main(["select", str(run_dir), "--fraction", "0.3", "--guard-min-tokens", "150", "--no-progress"]) == 0
    out = capsys.readouterr().out
    line = (
        "guard: too short below web 30 tokens (0.15 of the domain's typical document, the one holding its median token"
    )
    assert f"{line}; elsewhere 150)" in out
    assert json.loads((run_dir / "selection.json").read_text())["domains"]["web"]["min_tokens"] == 30.0
    reasons = pq.read_table(run_dir / "excluded.parquet")["reason"].to_pylist()
    assert "too short: 20 tokens < 30" in reasons


def test_a_domain_the_guard_leaves_short_is_named_on_stderr(run_dir, capsys):
    assert main(["select", str(run_dir), "--fraction", "0.3", "--no-progress"]) == 0
    assert "warning" not in capsys.readouterr().err  # enough documents stay eligible
    assert main(["select", str(run_dir), "--fraction", "0.3", "--guard-max-templated", "0", "--no-progress"]) == 0
    assert json.loads((run_dir / "selection.json").read_text())["domains"]["web"]["selected"] == 0
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning")]
    assert line.startswith("warning: web: the guard left 0 of 10 documents eligible, fewer than the 3 ")


def test_an_unmeasured_row_is_not_excluded_by_that_rule(tmp_path):
    rows = [dict(id="x", domain="web", source="/c/a.jsonl", row=0, n_tokens=100, loss_base=2.0, score=0.5)]
    fake_run(str(tmp_path / "run"), [score_rows(rows)])  # measures null
    assert select(str(tmp_path / "run"), write_documents=False)["domains"]["web"]["selected"] == 1
    assert pa.Table.from_pylist(rows).num_rows == 1


def test_excluded_documents_are_written_on_an_fsspec_url():
    rows = [dict(id=f"d{i}", domain="web", source="/c/a.jsonl", row=i, n_tokens=10 + 200 * i, loss_base=2.0,
                 score=0.1 * i) | FINE for i in range(3)]  # fmt: skip
    fake_run("memory://guarded-run", [score_rows(rows)])
    report = select("memory://guarded-run", fraction=0.5, write_documents=False)
    assert report["excluded_file"] == "memory:///guarded-run/excluded.parquet"
    excluded = RunDir("memory://guarded-run").read_excluded(["id", "rule", "reason"]).to_pylist()
    assert excluded == [{"id": "d0", "rule": "too_short", "reason": "too short: 10 tokens < 55"}]
