"""The guard judged on both sides with both real models' scores (issue 19), through the real
selection path (`attninf select`), without a model: the scores each model gave are stored in
tests/fixtures/fidelity/scores-*.jsonl (written by `bench/fidelity.py --write-fixtures`), the text
measures are computed here by the code as it is.

- Clean real text, each population alone as one domain (HumanEval, Rust and Java source files,
  CHAMP's competition solutions, English Wikipedia articles: tests/fixtures/fidelity/, licences in
  tests/fixtures/fidelity/LICENSES.md):
  the guard excludes at most 3% of the documents, and the guarded top 20% holds at least 95% of
  the unguarded top 20%.
- The calibration set's three parts (real text and boilerplate in three domains): at fraction 0.3
  at most one boilerplate document is kept, and at least 7 real documents per domain."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from attention_influence.cli import main
from tests.runs.fake import stored_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODELS = ("embedded", "gemma")  # SmolLM2-135M-Instruct, Gemma-3-270M: each with its shipped heads
POPULATIONS = ("humaneval", "rust_java_files", "champ_solutions", "enwiki_articles")
DOMAINS = ("code", "general", "math")


def _scores(model: str) -> dict[str, dict]:
    lines = (FIXTURES / "fidelity" / f"scores-{model}.jsonl").read_text().splitlines()
    return {row["id"]: row for row in map(json.loads, lines)}


def _population(name: str) -> list[dict]:
    with gzip.open(FIXTURES / "fidelity" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _calibration(part: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "calibration" / f"{part}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("population", POPULATIONS)
def test_on_clean_text_the_guard_keeps_the_papers_picks(tmp_path, population, model):
    docs = _population(population)
    run = stored_run(tmp_path, docs, _scores(model))
    assert main(["select", str(run), "--fraction", "0.2", "--no-progress"]) == 0
    (domain,) = json.loads((run / "selection.json").read_text())["domains"].values()
    assert domain["documents"] == len(docs) >= 100
    excluded = sum(domain["excluded"].values())
    assert excluded <= 0.03 * len(docs), domain["excluded"]
    cost = domain["without_guard"]
    assert cost["overlap"] >= 0.95, (cost, pq.read_table(run / "excluded.parquet").to_pylist())


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("part", ["dev", "dev2", "heldout"])
def test_on_a_mix_the_guard_keeps_boilerplate_out(tmp_path, part, model):
    docs = {d["id"]: d for d in _calibration(part)}
    run = stored_run(tmp_path, list(docs.values()), _scores(model))
    assert main(["select", str(run), "--fraction", "0.3", "--no-progress"]) == 0
    kept = [docs[json.loads(line)["id"]] for f in (run / "selected").iterdir() for line in f.read_text().splitlines()]
    assert sum(d["label"] == "boilerplate" for d in kept) <= 1, [d["kind"] for d in kept if d["label"] != "real"]
    for domain in DOMAINS:
        assert sum(d["domain"] == domain and d["label"] == "real" for d in kept) >= 7, domain
