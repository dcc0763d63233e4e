"""The plan printed before a scoring job: documents, tokens, domains and how each was assigned,
work already done, and the model time measured on this device (issue 15: costs stated before
they are paid)."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from attention_influence import score_corpus
from attention_influence.config import Fields, ModelSettings, ScoreSettings
from attention_influence.models import load_tokenizer, resolve_model
from attention_influence.pipeline.estimate import ScorePlan, count_documents, plan_score
from attention_influence.pipeline.job import find_sources, plan_job
from attention_influence.pipeline.ledger import BadRecordError
from attention_influence.runs.plan import ChunkRange

REPO = Path(__file__).resolve().parents[2]
HEADS = "17:3,18:6"


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def mixed(tmp_path, wikitext_texts, gsm8k_texts) -> Path:
    """web/: no domain field (the folder names it); mixed/: half with a domain field; tables/:
    Parquet with a domain field; one unreadable line."""
    corpus = tmp_path / "corpus"
    _jsonl(corpus / "web" / "a.jsonl", [{"text": t} for t in wikitext_texts[:6]])
    rows = [{"text": t, **({"domain": "math"} if i % 2 else {})} for i, t in enumerate(gsm8k_texts[:6])]
    _jsonl(corpus / "mixed" / "b.jsonl", rows)
    with (corpus / "mixed" / "b.jsonl").open("a") as f:
        f.write("{broken\n")
    (corpus / "tables").mkdir()
    table = pa.table({"text": gsm8k_texts[6:10], "domain": ["math"] * 4})
    pq.write_table(table, corpus / "tables" / "c.parquet")
    return corpus


def _job(corpus: Path, tmp_path: Path, **fields):
    return plan_job(
        find_sources([str(corpus)], str(tmp_path / "out")),
        str(tmp_path / "out"),
        HEADS,
        None,
        ScoreSettings(fields=Fields(**fields)),
        ModelSettings(device="cpu"),
        executor="local",
        device_type="cpu",
    )


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(resolve_model(None))


def test_small_corpus_is_counted_and_tokenized_exactly(mixed, tmp_path, tokenizer, wikitext_texts, gsm8k_texts):
    plan = plan_score(_job(mixed, tmp_path), engine="ray", tokenizer=tokenizer)
    assert (plan.files, plan.documents, plan.counted_files, plan.sampled) == (3, 17, 3, 17)
    assert plan.sample_complete and plan.documents_exact
    texts = wikitext_texts[:6] + gsm8k_texts[:10]
    assert plan.tokens == sum(len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"])
    domains = {name: (seen.documents, dict(seen.origins)) for name, seen in plan.domains.items()}
    assert domains == {"web": (6, {"folder": 6}), "mixed": (3, {"folder": 3}), "math": (7, {"field": 7})}
    text = str(plan)
    assert text.startswith(f"plan: score 17 documents into {tmp_path / 'out'}")
    assert "3 files" in text and "17 documents (counted)" in text
    assert f"tokens   {plan.tokens:,} (every document tokenized" in text
    assert 'math 7 (the field "domain"); web 6 (the parent folder); mixed 3 (the parent folder)' in text
    assert "14 heads" not in text and "2 heads masked (given as layer:head pairs)" in text
    assert "time     not estimated: the ray engine loads the model on its workers" in text
    assert not (tmp_path / "out").exists()  # a plan writes nothing


def test_a_bad_record_under_on_error_fail_stops_the_plan_before_the_model_loads(mixed, tmp_path, tokenizer):
    """The scoring would stop at it: the plan names it (file and line) and loads no model."""
    job = plan_job(
        find_sources([str(mixed)], str(tmp_path / "out")), str(tmp_path / "out"), HEADS, None, ScoreSettings(on_error="fail"),
        ModelSettings(device="cpu"), executor="local", device_type="cpu",
    )  # fmt: skip
    loads = []
    with pytest.raises(BadRecordError, match=r"mixed/b\.jsonl:7: invalid JSON \(.*\) \(on_error=fail\)$"):
        plan_score(job, engine="local", load=lambda: loads.append(1), tokenizer=tokenizer)
    assert loads == [] and not (tmp_path / "out").exists()
    loaded = []  # under skip the same sample is planned, and the model loaded once
    plan = plan_score(_job(mixed, tmp_path), engine="local", load=lambda: loaded.append(1), tokenizer=tokenizer)
    assert loaded == [1] and plan.sampled == 17


def test_the_domain_setting_is_named_where_it_assigns_the_domain(mixed, tmp_path, tokenizer):
    plan = plan_score(_job(mixed, tmp_path, domain="given"), engine="ray", tokenizer=tokenizer)
    assert {n: dict(s.origins) for n, s in plan.domains.items()} == {"given": {"setting": 9}, "math": {"field": 7}}
    assert "given 9 (--domain)" in str(plan)


def test_truncate_and_max_length_bound_the_tokens(mixed, tmp_path, tokenizer):
    job = plan_job(
        find_sources([str(mixed)], str(tmp_path / "out")), str(tmp_path / "out"), HEADS, None, ScoreSettings(max_length=32, truncate=True),
        ModelSettings(device="cpu"), executor="local", device_type="cpu",
    )  # fmt: skip
    plan = plan_score(job, engine="ray", tokenizer=tokenizer)
    assert plan.tokens <= 32 * 16 and "windows of at most 32 tokens, first window only" in str(plan)


def test_a_large_corpus_is_sampled_and_its_rows_estimated(tmp_path, wikitext_texts):
    """Files over the byte limit (or past the time budget) are estimated from their first
    megabytes: plain and gzip within 3%; Parquet is always exact (metadata)."""
    words = " ".join(wikitext_texts).split()
    rng = random.Random(0)  # varied lines: the compression ratio is even along the file, as in real data
    lines = [
        json.dumps({"id": i, "text": " ".join(rng.choices(words, k=rng.randint(20, 150)))}) + "\n"
        for i in range(30_000)
    ]
    plain, packed = tmp_path / "big.jsonl", tmp_path / "big.jsonl.gz"
    plain.write_text("".join(lines))
    with gzip.open(packed, "wt") as f:
        f.write("".join(lines))
    table = tmp_path / "t.parquet"
    pq.write_table(pa.table({"text": ["a"] * 1234}), table)
    paths = [str(plain), str(packed), str(table)]
    ranges = [ChunkRange(i, path) for i, path in enumerate(paths)]
    sizes = {path: os.path.getsize(path) for path in paths}
    exact, counted = count_documents(ranges, sizes, 1024)
    assert (exact, counted) == (2 * 30_000 + 1234, 3)
    estimated, counted = count_documents(ranges, sizes, 1024, max_bytes=0)
    assert counted == 1 and estimated == pytest.approx(exact, rel=0.03)
    estimated, counted = count_documents(ranges, sizes, 1024, seconds=0)
    assert counted == 1  # past the time budget: Parquet still exact


@pytest.mark.slow
def test_the_measured_time_predicts_the_model_time(short_corpus, embedded, tmp_path):
    """The plan's time comes from a probe measured on this device: it is within a factor of 3 of
    the model time the run then takes (the machine is shared, so the bound is loose)."""
    plan = score_corpus(str(short_corpus), str(tmp_path / "run"), HEADS, embedded, chunk_docs=8, dry_run=True)
    assert isinstance(plan, ScorePlan) and not (tmp_path / "run").exists()
    assert plan.speed is not None and plan.speed.tokens >= 64 and plan.seconds > 0
    assert "of model time on cpu (measured here:" in str(plan)
    seen = []
    summary = score_corpus(
        str(short_corpus), str(tmp_path / "run"), HEADS, embedded, chunk_docs=8, progress=False, on_plan=seen.append
    )
    assert [p.documents for p in seen] == [24] and summary.records == 24
    assert seen[0].tokens == summary.tokens
    assert plan.seconds / 3 < summary.busy_seconds < plan.seconds * 3


@pytest.mark.slow
def test_the_cli_prints_the_plan_to_stderr_before_the_work(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OMP_NUM_THREADS="1")
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "attention_influence.cli", "run", "examples/corpus", "--out", str(out), "--dry-run"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and not out.exists()
    plan = done.stderr[done.stderr.index("plan: score") :]
    assert plan.startswith(f"plan: score 36 documents into {out}\n")
    assert "  input    3 files (45.4 KB): 36 documents (counted)\n" in plan
    assert "  tokens   12,479 (every document tokenized; windows of at most 4,096 tokens)\n" in plan
    assert '  domains  code 12 (the field "domain"); general 12 (the field "domain"); math 12 (the field' in plan
    assert "14 heads masked (shipped for this model)" in plan
    assert "of model time on cpu (measured here: " in plan
