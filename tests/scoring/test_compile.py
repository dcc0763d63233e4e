"""Compiled decoder layers: the same scores, a bounded number of graphs, and a clean fallback to
eager when compilation fails."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch
from torch._dynamo.utils import counters

from attention_influence.models import LoadedModel
from attention_influence.scoring.engine import Scorer
from tests.conftest import tiny_model

HEADS = [(1, 0), (2, 1)]


def _loaded() -> LoadedModel:
    model = tiny_model("llama", num_hidden_layers=4, max_position_embeddings=256)
    return LoadedModel(model, SimpleNamespace(pad_token_id=0), "tiny", "tiny", torch.device("cpu"), torch.float32)


def _docs(n: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(1, 97) for _ in range(rng.randrange(2, 50))] for _ in range(n)]


def _assert_same(got, expected) -> None:
    for a, b in zip(got, expected, strict=True):
        assert a.loss_base == pytest.approx(b.loss_base, rel=1e-5)
        assert a.loss_masked == pytest.approx(b.loss_masked, rel=1e-5)


def failing_backend(graph, example_inputs):
    raise RuntimeError("this compiler always fails")


@pytest.mark.parametrize("pack", [True, False])
def test_failing_compilation_falls_back_to_eager(pack: bool) -> None:
    loaded = _loaded()
    docs = _docs(12, seed=0)
    eager = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=pack, compile=False).score_token_lists(docs)
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=pack, compile={"backend": failing_backend})
    with pytest.warns(UserWarning, match="torch.compile failed"):
        compiled = scorer.score_token_lists(docs)
    _assert_same(compiled, eager)
    assert not scorer.compiled.active and len(scorer.fallbacks) == 1
    assert "this compiler always fails" in scorer.fallbacks[0]
    assert "forward" not in vars(loaded.model.model.layers[0])  # eager forwards are back


def test_an_input_error_is_raised_and_compilation_kept() -> None:
    scorer = Scorer(_loaded(), HEADS, max_length=32, compile={"backend": "eager"})
    with pytest.raises(IndexError):
        scorer.score_token_lists([[5, 6, 1000, 7]])  # 1000: outside the vocabulary, eager fails too
    assert scorer.compiled.active and scorer.fallbacks == []


def test_compiled_scores_equal_eager_and_graphs_are_not_per_batch() -> None:
    torch._dynamo.reset()
    counters.clear()
    loaded = _loaded()
    docs = _docs(40, seed=1)
    eager = Scorer(loaded, HEADS, max_length=32, batch_tokens=128, pack=True, compile=False).score_token_lists(docs)
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=128, pack=True, compile={"backend": "eager"})
    batches: list[int] = []
    compiled = scorer.score_token_lists(docs, on_batch=lambda _docs, tokens: batches.append(tokens))
    _assert_same(compiled, eager)
    graphs = counters["stats"]["unique_graphs"]
    more = scorer.score_token_lists(_docs(25, seed=2))  # other documents, other row counts
    assert len(batches) >= 5 and scorer.fallbacks == [] and all(r.score is not None for r in more)
    assert 3 <= graphs <= 6  # below the first masked layer, above it, masked; + the row count made dynamic
    assert counters["stats"]["unique_graphs"] == graphs  # nothing recompiled for the new batches


@pytest.mark.slow
def test_inductor_compiles_the_layers_on_cpu() -> None:
    """The real compiler (C++ on a CPU): tens of seconds."""
    torch._dynamo.reset()
    loaded = _loaded()
    docs = _docs(10, seed=3)
    eager = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=True, compile=False).score_token_lists(docs)
    scorer = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=True, compile=True)
    _assert_same(scorer.score_token_lists(docs), eager)
    assert scorer.compiled.active and scorer.fallbacks == []
