"""`compare` of two runs: selection overlap and rank correlation per domain, joined on (source,
row) or on the text hash; the table, the JSON file, and the runs it refuses."""

from __future__ import annotations

import json
import shutil

import pytest

from attention_influence import api
from attention_influence.cli import main
from attention_influence.errors import RunError
from attention_influence.runs.schema import text_hash
from attention_influence.selection import select
from tests.runs.fake import fake_run, score_rows

FINE = dict(repetition=0.0, templated_text=0.0, list_text=0.0, field_text=0.0, digit_share=0.0)


def _corpus(folder, texts: dict[str, list[str]]) -> dict[str, str]:
    paths = {}
    for domain, docs in texts.items():
        path = folder / domain / "docs.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps({"id": f"{domain}-{i}", "text": t}) + "\n" for i, t in enumerate(docs)))
        paths[domain] = str(path)
    return paths


def _run(out, paths: dict[str, str], texts: dict[str, list[str]], scores: dict[str, list[float]], fraction=0.4):
    parts = []
    for domain, docs in texts.items():
        rows = [
            dict(id=f"{domain}-{i}", domain=domain, source=paths[domain], row=i, n_tokens=100, loss_base=2.0)
            | dict(loss_masked=2.0 * (1 + s), score=s, text_hash=text_hash(t))
            | FINE
            for i, (t, s) in enumerate(zip(docs, scores[domain], strict=True))
        ]
        parts.append(score_rows(rows))
    fake_run(str(out), parts, list(paths.values()))
    select(str(out), fraction=fraction, write_documents=False)
    return str(out)


TEXTS = {"math": [f"math text {i}" for i in range(5)], "web": [f"web text {i}" for i in range(5)]}
A = {"math": [0.5, 0.4, 0.3, 0.2, 0.1], "web": [0.1, 0.2, 0.3, 0.4, 0.5]}
B = {"math": [0.5, 0.1, 0.4, 0.2, 0.3], "web": [0.5, 0.4, 0.3, 0.2, 0.1]}


@pytest.fixture()
def two_runs(tmp_path):
    paths = _corpus(tmp_path / "corpus", TEXTS)
    return _run(tmp_path / "a", paths, TEXTS, A), _run(tmp_path / "b", paths, TEXTS, B), paths


def test_overlap_and_rank_correlation_per_domain(two_runs, tmp_path):
    a, b, _ = two_runs
    result = api.compare(a, b, json_file=str(tmp_path / "c.json"))
    assert result["join"] == "source_row"
    math, web = result["domains"]["math"], result["domains"]["web"]
    # math: A keeps rows 0, 1; B keeps rows 0, 2 (top 2 of 5 = ceil(0.4 x 5))
    assert (math["common"], math["kept_a"], math["kept_b"], math["kept_both"]) == (5, 2, 2, 1)
    assert math["jaccard"] == pytest.approx(1 / 3) and math["a_kept_also_b"] == pytest.approx(0.5)
    assert math["spearman"] == pytest.approx(0.3)  # ranks (5,4,3,2,1), (5,1,4,2,3): 1 - 6 x 14 / 120
    assert web["kept_both"] == 0 and web["jaccard"] == 0 and web["spearman"] == pytest.approx(-1.0)
    assert result["total"]["kept_both"] == 1 and result["total"]["jaccard"] == pytest.approx(1 / 7)
    assert json.loads((tmp_path / "c.json").read_text()) == json.loads(json.dumps(result))
    same = api.compare(a, a)
    assert same["total"]["jaccard"] == 1.0 and same["total"]["spearman"] == pytest.approx(1.0)
    assert same["differ"] == []


def test_guard_on_against_off_and_the_settings_that_differ(two_runs):
    a, _, _ = two_runs
    select(a, fraction=0.4, guard=False, write_documents=False)
    off = json.loads(open(f"{a}/selection.json").read())
    assert off["guard"]["enabled"] is False
    result = api.compare(a, a)  # the same run: its selection is compared with itself
    assert result["total"]["jaccard"] == 1.0


def test_runs_of_copied_files_are_joined_on_the_text(two_runs, tmp_path):
    a, _, paths = two_runs
    copies = tmp_path / "copy"
    shutil.copytree(tmp_path / "corpus", copies)
    moved = {d: str(copies / d / "docs.jsonl") for d in paths}
    reordered = {d: list(reversed(t)) for d, t in TEXTS.items()}  # other rows, same texts
    for domain in moved:
        (copies / domain / "docs.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in reordered[domain]))
    c = _run(tmp_path / "c", moved, reordered, {d: list(reversed(s)) for d, s in A.items()})
    result = api.compare(a, c)
    assert result["join"] == "text_hash"
    assert result["total"]["jaccard"] == 1.0 and result["total"]["spearman"] == pytest.approx(1.0)


def test_runs_sharing_no_document_are_refused(two_runs, tmp_path):
    a, _, _ = two_runs
    other = {"math": [f"another text {i}" for i in range(5)]}
    paths = _corpus(tmp_path / "other", other)
    d = _run(tmp_path / "d", paths, other, {"math": [0.1] * 5})
    with pytest.raises(RunError, match="share no scored document .*joined on text hash"):
        api.compare(a, d)


def test_a_run_without_selection_is_refused(two_runs, tmp_path):
    a, _, _ = two_runs
    (tmp_path / "a" / "selection.json").unlink()
    with pytest.raises(RunError, match="has no selection: run `attninf select"):
        api.compare(a, a)


def test_cli_prints_a_table_and_writes_json(two_runs, tmp_path, capsys):
    a, b, _ = two_runs
    assert main(["compare", a, b, "--json", str(tmp_path / "out.json")]) == 0
    out = capsys.readouterr().out
    assert "Jaccard" in out and "(all)" in out and "0.333" in out and "+0.300" in out
    assert json.loads((tmp_path / "out.json").read_text())["domains"]["math"]["kept_both"] == 1
    assert main(["compare", a, str(tmp_path / "nothing")]) == 2
    assert "holds no run" in capsys.readouterr().err


@pytest.mark.slow
def test_two_head_sets_scored_with_the_embedded_model(tmp_path, embedded):
    """Two real runs of the sample corpus (first 64 tokens of each document): the shipped heads
    and three early-layer heads. They read the same files: joined on (source, row)."""

    from tests.reports.test_report_sections import SAMPLE_CORPUS

    options = dict(max_length=64, truncate=True, fraction=0.25, min_tokens=0, write_report=False, progress=False)
    a = api.run(str(SAMPLE_CORPUS), str(tmp_path / "shipped"), model=embedded, **options)
    b = api.run(str(SAMPLE_CORPUS), str(tmp_path / "early"), "3:1,5:2,9:4", embedded, **options)
    assert a["selection"] and b["selection"]
    result = api.compare(str(tmp_path / "shipped"), str(tmp_path / "early"))
    assert result["join"] == "source_row" and result["differ"] == ["heads"]
    assert result["total"]["common"] == 36 and -1 <= result["total"]["spearman"] < 0.99
    assert (
        result["total"]["kept_a"]
        == result["total"]["kept_b"]
        == sum(d["selected"] for d in a["selection"]["domains"].values())
    )
