"""A few dozen short real documents in two JSONL files (short so the embedded model is quick)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest

from attention_influence.runs import RunDir


def write_corpus(folder: Path, math: list[str], prose: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, domain, texts in (("math.jsonl", "math", math), ("prose.jsonl", "general", prose)):
        rows = [{"id": f"{domain}-{i}", "domain": domain, "text": t} for i, t in enumerate(texts)]
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="session")
def short_corpus(tmp_path_factory, gsm8k_texts, wikitext_texts) -> Path:
    """24 real documents of about 12 tokens: 12 GSM8K questions, 12 wikitext sentences."""
    math = [" ".join(t.split()[:10]) for t in gsm8k_texts[:12]]
    prose = [" ".join(t.split()[:10]) for t in wikitext_texts[:12]]
    return write_corpus(tmp_path_factory.mktemp("corpus"), math, prose)


@pytest.fixture(scope="module")
def corpus_with_error(short_corpus, tmp_path_factory) -> Path:
    """The short corpus plus a file with one unreadable line."""
    folder = tmp_path_factory.mktemp("with_errors")
    shutil.copytree(short_corpus, folder, dirs_exist_ok=True)
    (folder / "zbad.jsonl").write_text('{"id": "ok-1", "text": "Two plus two is four."}\n{broken\n')
    return folder


def scores_by_id(out: Path | str) -> dict[str, tuple[float, float, float]]:
    """id -> (loss_base, loss_masked, score) over every score file (path or fsspec URL); fails on
    a duplicated id."""
    rows = []
    for path in RunDir(out).parts():
        with fsspec.open(path, "rb") as f:
            rows += pq.read_table(f, columns=["id", "loss_base", "loss_masked", "score"]).to_pylist()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a document was scored twice"
    return {r["id"]: (r["loss_base"], r["loss_masked"], r["score"]) for r in rows}


def assert_same_scores(got: dict, want: dict) -> None:
    """Same ids; float32 losses within 1e-5 relative (batches are padded differently), scores
    (small differences of two losses) within 1e-4 relative or 1e-6 absolute; a document read but
    not scored (e.g. fewer than 2 tokens) has no numbers (None) on both sides."""
    assert got.keys() == want.keys()
    for key, (base, masked, score) in want.items():
        if None in (base, masked, score):
            assert got[key] == (base, masked, score), key
            continue
        assert got[key][:2] == pytest.approx((base, masked), rel=1e-5), key
        assert got[key][2] == pytest.approx(score, rel=1e-4, abs=1e-6), key


@pytest.fixture(scope="session")
def read_scores():
    """`scores_by_id`: id -> (loss_base, loss_masked, score) of a run folder."""
    return scores_by_id


@pytest.fixture(scope="session")
def same_scores():
    """`assert_same_scores`: same ids, scores within float32 tolerance."""
    return assert_same_scores


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One thread: on a shared 2-core machine, more threads make scoring many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
