"""Per-domain selection: fractions by documents or tokens, deterministic ties, outputs, and the
ways a selection could go wrong silently (each refused, or right, with nothing lost)."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.errors import RunError, SettingError
from attention_influence.runs.schema import text_hash
from attention_influence.selection import select
from tests.reference import reference_cut
from tests.runs.fake import fake_run, score_rows

MATH = [{"text": f"math {i}", "keep": i} for i in range(10)]
WEB = [{"text": f"web {i}", "n": i} for i in range(5)]


def _rows(source: str, domain: str, texts: list[str], scores, tokens) -> list[dict]:
    return [
        dict(id=f"{domain}-{i}", domain=domain, source=source, row=i, n_tokens=t, loss_base=1.0)
        | dict(loss_masked=None if s is None else 1.0 + s, score=s, reason=None if s is not None else "x")
        | dict(truncated=False, text_hash=text_hash(text), repetition=0.0)
        for i, (text, s, t) in enumerate(zip(texts, scores, tokens, strict=True))
    ]


@pytest.fixture()
def run_dir(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    math, web = src / "math.jsonl.gz", src / "web.parquet"
    math.write_bytes(gzip.compress("".join(json.dumps(d) + "\n" for d in MATH).encode()))
    pq.write_table(pa.Table.from_pylist(WEB), web)
    parts = [
        score_rows(_rows(str(math), "math", [d["text"] for d in MATH], [0.1 * i for i in range(10)], [10] * 10)),
        score_rows(_rows(str(web), "web", [d["text"] for d in WEB], [0.5, 0.9, None, 0.3, 0.7], [100, 10, 5, 10, 10])),
    ]
    fake_run(str(tmp_path / "run"), parts, [str(math), str(web)])
    return tmp_path / "run"


def test_top_fraction_per_domain_by_documents(run_dir) -> None:
    report = select(str(run_dir), fraction=0.2, guard=False)
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


@pytest.mark.parametrize("relative", [False, True])
def test_a_new_selection_replaces_the_last_whole(run_dir, relative, monkeypatch) -> None:
    if relative:  # a relative run path once deleted the files it had just written
        monkeypatch.chdir(run_dir.parent)
    path = "run" if relative else str(run_dir)
    stray = run_dir / "selected" / "00007-gone.jsonl"
    stray.parent.mkdir(parents=True)
    stray.write_text('{"text": "from an earlier selection"}\n')
    first = select(path, fraction=0.2, guard=False)
    assert sorted(f.name for f in (run_dir / "selected").iterdir()) == ["00000-math.jsonl.gz", "00001-web.parquet"]
    again = select(path, fraction=0.2, guard=False)
    assert again["total"] == first["total"] and len(list((run_dir / "selected").iterdir())) == 2
    select(path, fraction=0.5, guard=False)
    kept = gzip.decompress((run_dir / "selected" / "00000-math.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(kept) == 5 and len(list((run_dir / "selected").iterdir())) == 2
    assert all(os.path.isabs(f) for f in again["files"])


def test_fraction_by_tokens(run_dir) -> None:
    report = select(str(run_dir), fraction=0.5, by="tokens", write_documents=False, guard=False)
    web = report["domains"]["web"]  # tokens 130 in all; best first: 0.9 (10), 0.7 (10), 0.5 (100)
    assert (web["selected"], web["selected_tokens"]) == (3, 120)


def test_ties_are_broken_by_id() -> None:
    from attention_influence.selection.cut import cut_tables, memory_tables

    scores = np.array([1.0, 2.0, 1.0, 1.0])
    ids = np.array(["d", "z", "b", "c"])
    assert reference_cut(scores, ids, np.ones(4), 0.75, "docs").tolist() == [1, 2, 3]
    table = pa.table({"id": ids, "domain": ["x"] * 4, "score": scores, "n_tokens": [1] * 4})
    cuts, selected = cut_tables(memory_tables(table), 0.75, "docs")
    assert cuts["x"].threshold == 1.0 and cuts["x"].tied == frozenset({"b", "c"})
    assert sorted(selected["id"].to_pylist()) == ["b", "c", "z"]


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"fraction": 0}, "fraction"),
        ({"fraction": 1.5}, "fraction"),
        ({"fraction": float("nan")}, "fraction"),
        ({"by": "words"}, "by"),
        ({"max_repetition": -1}, "max_repetition"),
        ({"max_repetition": float("nan")}, "max_repetition"),
        ({"max_repetition": 2}, "max_repetition"),
        ({"fractoin": 0.2}, "fractoin"),
    ],
)
def test_bad_settings_name_the_setting(run_dir, options, setting) -> None:
    with pytest.raises(SettingError) as caught:
        select(str(run_dir), **options)
    assert caught.value.setting == setting
    assert not (run_dir / "selection.json").exists()


def test_no_run(tmp_path) -> None:
    with pytest.raises(RunError, match="holds no run"):
        select(str(tmp_path / "empty"))


def _earlier_selection(run_dir) -> dict[str, bytes]:
    select(str(run_dir), fraction=0.2, guard=False)
    return {p.name: p.read_bytes() for p in (run_dir / "selected").iterdir()}


@pytest.mark.parametrize("change", ["reorder", "edit", "same_size_edit", "remove"])
def test_a_source_changed_since_scoring_is_refused_and_the_last_selection_kept(run_dir, change) -> None:
    earlier = _earlier_selection(run_dir)
    math = run_dir.parent / "in" / "math.jsonl.gz"
    lines = [json.dumps(d) + "\n" for d in MATH]
    if change == "reorder":
        math.write_bytes(gzip.compress("".join(reversed(lines)).encode()))
    elif change == "edit":
        math.write_bytes(gzip.compress("".join(lines).replace("math 9", "math nine").encode()))
    elif change == "same_size_edit":  # the file keeps its size and the mtime is put back
        stat = math.stat()
        data = math.read_bytes()
        edited = gzip.compress("".join(lines).replace("math 9", "math X").encode(), mtime=0)
        math.write_bytes(edited[: len(data)].ljust(len(data), b"\0") if len(edited) != len(data) else edited)
        os.utime(math, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    else:
        math.unlink()
    with pytest.raises(RunError, match=str(math)):
        select(str(run_dir), fraction=0.3, guard=False)
    assert {p.name: p.read_bytes() for p in (run_dir / "selected").iterdir()} == earlier
    assert json.loads((run_dir / "selection.json").read_text())["fraction"] == 0.2


def test_a_row_that_no_longer_holds_its_text_is_refused_before_anything_is_replaced(run_dir, monkeypatch) -> None:
    """Even when the file looks the same (size and mtime), each row copied is checked."""
    earlier = _earlier_selection(run_dir)
    from attention_influence.runs import rundir as rundir_module

    monkeypatch.setattr(rundir_module.RunDir, "check_sources", lambda self: None)  # as if the change were invisible
    math = run_dir.parent / "in" / "math.jsonl.gz"
    math.write_bytes(gzip.compress("".join(json.dumps(d) + "\n" for d in reversed(MATH)).encode()))
    with pytest.raises(RunError, match=rf"{math}:\d+: the text is not the one that was scored"):
        select(str(run_dir), fraction=0.2, guard=False)
    assert {p.name: p.read_bytes() for p in (run_dir / "selected").iterdir()} == earlier
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".selected")]


def test_nothing_to_select_is_one_clear_error(tmp_path) -> None:
    errors = [[{"source": "/c/a.jsonl", "row": i, "id": f"a{i}", "reason": "fewer than 2 tokens"} for i in range(3)]]
    rows = [
        dict(id=f"a{i}", domain="math", source="/c/a.jsonl", row=i, n_tokens=1, reason="fewer than 2 tokens")
        for i in range(3)
    ]
    fake_run(str(tmp_path / "run"), [score_rows(rows)], errors=errors)
    with pytest.raises(RunError, match=r"nothing to select: no document of .* has a score \(3 records"):
        select(str(tmp_path / "run"))
