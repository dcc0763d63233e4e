"""The `attninf` command end to end on the shipped sample corpus, with the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO

HEADS = "8:2,12:5,15:1,17:4,20:0,23:7"


def attninf(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run(
        [sys.executable, "-m", "attention_influence.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )


@pytest.mark.slow
def test_run_writes_scores_selection_and_selected_documents(tmp_path) -> None:
    out = tmp_path / "run"
    done = attninf(
        "run",
        "examples/corpus",
        "--heads",
        HEADS,
        "--out",
        str(out),
        "--max-length",
        "96",
        "--truncate",
        "--fraction",
        "0.25",
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr
    scores = pq.read_table(out / "scores").to_pylist()
    assert len(scores) == 36 and {s["domain"] for s in scores} == {"math", "code", "general"}
    assert all(s["score"] is not None and s["n_tokens"] <= 96 for s in scores)
    assert {"id", "domain", "source", "row", "n_tokens", "loss_base", "loss_masked", "score"} <= set(scores[0])
    selection = json.loads((out / "selection.json").read_text())
    assert {d: v["selected"] for d, v in selection["domains"].items()} == {"code": 3, "general": 3, "math": 3}
    selected = [json.loads(line) for f in sorted((out / "selected").iterdir()) for line in f.read_text().splitlines()]
    assert len(selected) == 9 and all("attninf_score" in d and d["text"] for d in selected)
    for domain, d in selection["domains"].items():
        kept = [s["attninf_score"] for s in selected if s["domain"] == domain]
        assert min(kept) == pytest.approx(d["threshold"])
    assert "math" in done.stdout and "scored 36 of 36" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    # score again into the finished folder: nothing is scored again, and the run's summary stays the scoring's
    rerun = attninf("score", "examples/corpus", "--heads", HEADS, "--out", str(out), "--max-length", "96", "--truncate",
                    "--no-progress")  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert "scored 36 of 36 records (" in rerun.stdout and "none scored again" in rerun.stdout
    assert "0 tok/s" not in rerun.stdout and json.loads((out / "summary.json").read_text()) == summary
    # each stage alone: select again with another fraction on the same scores
    again = attninf("select", str(out), "--fraction", "0.5", "--by", "tokens")
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "selection.json").read_text())["by"] == "tokens"


def test_every_command_has_help_with_examples() -> None:
    for command in ("run", "score", "select", "report", "explain"):
        done = attninf(command, "--help")
        assert done.returncode == 0 and "examples:" in done.stdout


def test_bad_heads_argument_is_one_line_error(tmp_path) -> None:
    done = attninf("score", "examples/corpus", "--heads", "3-4", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "bad head" in done.stderr and "Traceback" not in done.stderr


def test_no_progress_quiets_the_libraries_bars_too(tmp_path, tiny_model_folder, capsys) -> None:
    """--no-progress hides transformers' bars (loading weights) as well as ours, and only for the command."""
    from transformers.utils import logging as hf_logging

    from attention_influence.cli import main

    corpus = tmp_path / "corpus" / "math" / "a.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text(json.dumps({"text": "the sum of 2 and 3 is 5 . " * 12}) + "\n")
    args = ["score", str(corpus.parent.parent), "--model", str(tiny_model_folder), "--heads", "1:0"]
    assert main([*args, "--out", str(tmp_path / "quiet"), "--no-progress"]) == 0
    assert "Loading weights" not in capsys.readouterr().err and hf_logging.is_progress_bar_enabled()
    assert main([*args, "--out", str(tmp_path / "shown")]) == 0
    assert "Loading weights" in capsys.readouterr().err  # the bar the flag hides
