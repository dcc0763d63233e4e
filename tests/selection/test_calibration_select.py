"""The acceptance figure of the guard through the real selection path: on each part of the
calibration set (tests/fixtures/calibration: per domain real reasoning text and boilerplate;
held-out and dev2 hold boilerplate kinds absent from dev), `attninf select --fraction 0.3` with the
default guard keeps at most one boilerplate document across all domains and at least 7 real
documents per domain; `--no-guard` keeps many. The run folders hold the scores the embedded model
gave (stored by bench/guard.py) and the measures the pipeline computes; the slow test scores the
held-out part anew with `run`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from attention_influence.cli import main
from tests.runs.fake import stored_run

CALIBRATION = Path(__file__).resolve().parents[1] / "fixtures" / "calibration"
DOMAINS = ("code", "general", "math")


def _docs(part: str) -> list[dict]:
    return [json.loads(line) for line in (CALIBRATION / f"{part}.jsonl").read_text().splitlines()]


def _scored_run(folder: Path, part: str) -> tuple[Path, dict[str, dict]]:
    scores = {r["id"]: r for r in map(json.loads, (CALIBRATION / "scores.jsonl").read_text().splitlines())}
    docs = _docs(part)
    return stored_run(folder, docs, scores), {d["id"]: d for d in docs}


def _kept(run: Path, docs: dict[str, dict]) -> list[dict]:
    return [docs[json.loads(line)["id"]] for f in (run / "selected").iterdir() for line in f.read_text().splitlines()]


def _check(kept: list[dict], docs: dict[str, dict], most: int = 1) -> None:
    boilerplate = [d["kind"] for d in kept if d["label"] == "boilerplate"]
    assert len(boilerplate) <= most, boilerplate
    for domain in DOMAINS:
        real = sum(d["domain"] == domain and d["label"] == "real" for d in kept)
        assert real >= 7, (domain, real)


@pytest.mark.parametrize("part", ["dev", "dev2", "heldout"])
def test_select_keeps_real_documents_not_boilerplate(tmp_path, part):
    run, docs = _scored_run(tmp_path, part)
    assert main(["select", str(run), "--fraction", "0.3", "--no-guard", "--no-progress"]) == 0
    assert sum(d["label"] == "boilerplate" for d in _kept(run, docs)) >= 10  # the problem: boilerplate on top
    assert main(["select", str(run), "--fraction", "0.3", "--no-progress"]) == 0
    _check(_kept(run, docs), docs)
    excluded = pq.read_table(run / "excluded.parquet").to_pylist()
    assert all(row["reason"] and row["rule"] for row in excluded)
    assert sum(docs[row["id"]]["label"] == "boilerplate" for row in excluded) >= 0.85 * sum(  # dev2: 35 of 38
        d["label"] == "boilerplate" for d in docs.values()
    )


@pytest.mark.slow
def test_run_on_the_held_out_part_keeps_real_documents(tmp_path, embedded):
    """`run` with its defaults (the shipped heads, the guard on) on the held-out part, scored here."""

    from attention_influence import api

    docs = {d["id"]: d for d in _docs("heldout")}
    for domain in DOMAINS:
        folder = tmp_path / "corpus" / domain
        folder.mkdir(parents=True)
        lines = [json.dumps({"id": d["id"], "text": d["text"]}) for d in docs.values() if d["domain"] == domain]
        (folder / "docs.jsonl").write_text("\n".join(lines) + "\n")
    result = api.run(str(tmp_path / "corpus"), str(tmp_path / "run"), model=embedded, fraction=0.3, write_report=False, progress=False)  # fmt: skip
    assert {d: v["documents"] for d, v in result["selection"]["domains"].items()} == dict.fromkeys(DOMAINS, 32)
    _check(_kept(tmp_path / "run", docs), docs)
