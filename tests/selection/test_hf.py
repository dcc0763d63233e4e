"""`--output-layout hf`: the selected documents as sharded Parquet (data/train-XXXXX-of-YYYYY.parquet)
that `datasets` loads as one train split, with how they were selected in each file's metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence.config import Fields
from attention_influence.errors import RunError, SettingError
from attention_influence.runs.schema import text_hash
from attention_influence.selection import select
from attention_influence.selection.cut import domain_cuts, file_tables, selected_rows
from attention_influence.selection.hf import METADATA_KEY, write_hf
from tests.runs.fake import MANIFEST, fake_run, score_rows

SRC = Path(__file__).resolve().parents[2] / "src"


def _scores(rows: list[tuple[str, str, str, int, float, str]]) -> pa.Table:
    return score_rows(
        [
            dict(id=rid, domain=domain, source=source, row=row, n_tokens=10 + row, loss_base=2.0)
            | dict(loss_masked=2.0 * (1 + score), score=score, truncated=False, text_hash=text_hash(text))
            for rid, domain, source, row, score, text in rows
        ]
    )


@pytest.fixture
def run(tmp_path) -> str:
    """Two JSONL files whose `extra` column disagrees in type (int, str) and a Parquet file with
    a column the others lack; three domains."""
    folder = tmp_path / "in"
    folder.mkdir()
    a, b, c = folder / "a.jsonl", folder / "b.jsonl", folder / "c.parquet"
    a.write_text("".join(json.dumps({"id": f"a{i}", "text": f"alpha {i}", "extra": i}) + "\n" for i in range(6)))
    b.write_text("".join(json.dumps({"id": f"b{i}", "text": f"beta {i}", "extra": f"x{i}"}) + "\n" for i in range(4)))
    pq.write_table(pa.table({"id": ["c0", "c1"], "text": ["gamma 0", "gamma 1"], "lang": ["en", "fr"]}), c)
    rows = [(f"a{i}", "math", str(a), i, float(i), f"alpha {i}") for i in range(6)]
    rows += [(f"b{i}", "code", str(b), i, 0.1 * i, f"beta {i}") for i in range(4)]
    rows += [("c0", "web", str(c), 0, 0.5, "gamma 0"), ("c1", "web", str(c), 1, 0.7, "gamma 1")]
    out = str(tmp_path / "run")
    fake_run(out, [_scores(rows[:6]), _scores(rows[6:10]), _scores(rows[10:])], [str(a), str(b), str(c)])
    return out


def test_select_writes_train_shards_with_the_selection_in_their_metadata(run):
    report = select(run, fraction=0.5, output_layout="hf", guard=False)

    path = f"{run}/selected/data/train-00000-of-00001.parquet"
    assert report["files"] == [path] and report["output_layout"] == "hf"
    assert sorted(os.listdir(f"{run}/selected")) == ["data"]  # no staging left behind
    table = pq.read_table(path)
    assert table["id"].to_pylist() == ["a3", "a4", "a5", "b2", "b3", "c1"]  # source, then row order
    assert table["attninf_score"].to_pylist() == pytest.approx([3.0, 4.0, 5.0, 0.2, 0.3, 0.7])
    assert table["attninf_domain"].to_pylist() == ["math"] * 3 + ["code"] * 2 + ["web"]
    assert table["extra"].to_pylist() == ["3", "4", "5", "x2", "x3", None]  # int and str unified as str
    assert table["lang"].to_pylist() == [None] * 5 + ["fr"]  # a column of one file only: null elsewhere
    meta = json.loads(pq.read_schema(path).metadata[METADATA_KEY])
    assert meta["model"] == MANIFEST["model"]["name"] and meta["heads"] == [[17, 3]]
    assert (meta["fraction"], meta["by"], meta["guard"]["enabled"]) == (0.5, "docs", False)
    assert "excluded_file" not in meta  # a path of this machine: not published with the data
    assert meta["thresholds"] == {"code": pytest.approx(0.2), "math": 3.0, "web": 0.7}
    assert meta["selected"] == {"code": 2, "math": 3, "web": 1}


def test_datasets_loads_the_selection_as_a_train_split(run, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    import datasets

    select(run, fraction=0.5, output_layout="hf", guard=False)
    loaded = datasets.load_dataset("parquet", data_dir=f"{run}/selected", cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["train"] and loaded["train"].num_rows == 6
    assert loaded["train"]["id"] == ["a3", "a4", "a5", "b2", "b3", "c1"]
    folder = datasets.load_dataset(f"{run}/selected", split="train", cache_dir=str(tmp_path / "cache2"))
    assert folder["attninf_score"] == pytest.approx([3.0, 4.0, 5.0, 0.2, 0.3, 0.7])


def test_large_selections_are_cut_into_shards_of_about_the_given_size(run, tmp_path):
    selected = selected_rows(*_cuts(run))
    written = write_hf(str(tmp_path / "sel"), selected, Fields(), {"fraction": 1.0}, shard_bytes=200)
    names = [p.rsplit("/", 1)[-1] for p in written]
    assert names == [f"train-{i:05d}-of-{len(names):05d}.parquet" for i in range(len(names))] and len(names) > 2
    tables = [pq.read_table(p) for p in written]
    assert pa.concat_tables(tables)["id"].to_pylist() == sorted(selected["id"].to_pylist())
    assert {t.schema.remove_metadata() for t in tables} == {tables[0].schema.remove_metadata()}
    assert all(json.loads(t.schema.metadata[METADATA_KEY]) == {"fraction": 1.0} for t in tables)


def _cuts(run: str):
    from attention_influence.runs.rundir import RunDir

    tables = file_tables(RunDir(run).parts())
    return tables, domain_cuts(tables, 1.0, "docs"), "docs"


def test_a_changed_source_fails_and_keeps_the_previous_selection(run, tmp_path):
    select(run, fraction=0.5, output_layout="hf", guard=False)
    before = sorted(Path(run, "selected").rglob("*"))
    source = tmp_path / "in" / "c.parquet"
    pq.write_table(pa.table({"id": ["c0", "c1"], "text": ["gamma 0", "changed"], "lang": ["en", "fr"]}), source)
    os.utime(source, ns=(1, 1))  # same size is not enough: the text hash is checked row by row
    with pytest.raises(RunError):
        select(run, fraction=0.5, output_layout="hf", guard=False)
    assert sorted(Path(run, "selected").rglob("*")) == before


def test_the_layout_is_a_checked_setting_and_a_flag(run):
    with pytest.raises(SettingError, match="output_layout: must be one of per-source, hf, got 'datasets'"):
        select(run, output_layout="datasets")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run(
        [sys.executable, "-m", "attention_influence.cli", "select", run, "--fraction", "0.5", "--output-layout", "hf"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Path(run, "selected", "data", "train-00000-of-00001.parquet").is_file()
    assert json.loads(Path(run, "selection.json").read_text())["files"][0].endswith("train-00000-of-00001.parquet")


def test_the_select_command_says_when_the_report_shows_an_earlier_selection(run, capsys):
    from attention_influence.cli import main

    assert main(["select", run, "--no-guard", "--fraction", "0.5"]) == 0
    assert "still shows the previous selection" not in capsys.readouterr().err  # no report yet
    Path(run, "report.html").write_text("<html></html>")
    assert main(["select", run, "--no-guard", "--fraction", "0.2"]) == 0
    assert f"`attninf report {run}` renders it for this one" in capsys.readouterr().err
