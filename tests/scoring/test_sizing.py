"""Batch sizes from a memory budget, and out-of-memory batches split and retried (a device budget
simulated on the CPU: a batch over it raises the error CUDA raises)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch
import transformers

from attention_influence.errors import SettingError
from attention_influence.models import LoadedModel
from attention_influence.scoring import sizing
from attention_influence.scoring.engine import Scorer
from attention_influence.scoring.isolate import score_isolated
from tests.conftest import tiny_model
from tests.reference import selector_config

GiB = 2**30
HEADS = [(1, 0), (2, 1)]


def selector_1b3() -> torch.nn.Module:
    """The paper's 1.3B selector shape, bfloat16, on the meta device: shapes only, no memory."""
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(selector_config(), dtype=torch.bfloat16)


def test_footprint_grows_with_the_model_and_the_dense_mask() -> None:
    big = selector_1b3()
    flex = sizing.footprint(big, 4160, "flex_attention", chunk_tokens=4096)
    sdpa = sizing.footprint(big, 4160, "attninf_sdpa", chunk_tokens=4096)
    eager = sizing.footprint(big, 4160, "eager", chunk_tokens=4096)
    assert flex.per_token < sdpa.per_token < eager.per_token
    assert 50_000 < flex.per_token < 200_000  # ~100 KB of bfloat16 activations per token, doubled layers
    assert flex.fixed == 4096 * 49152 * (4 + 4 + 2)  # head output, float32 logits and log-probabilities
    small = sizing.footprint(tiny_model("llama"), 64, "flex_attention", chunk_tokens=4096)
    assert small.per_token < flex.per_token / 50


def test_batch_tokens_fit_the_budget_in_whole_rows() -> None:
    estimate = sizing.footprint(selector_1b3(), 4160, "flex_attention", chunk_tokens=4096)
    sizes = [estimate.batch_tokens(budget * GiB, 4160) for budget in (8, 20, 60)]
    assert all(size % 4160 == 0 for size in sizes) and sizes == sorted(sizes)
    for budget, size in zip((8, 20, 60), sizes, strict=True):
        assert estimate.per_token * size + estimate.fixed <= budget * GiB
        assert estimate.per_token * (size + 4160) + estimate.fixed > budget * GiB  # one more row would not fit
    with pytest.raises(SettingError, match="batch_tokens"):
        estimate.batch_tokens(0.5 * GiB, 4160)


def test_rows_per_batch_is_a_power_of_two() -> None:
    assert [sizing.rows_per_batch(t, 100) for t in (50, 100, 250, 399, 400, 6500)] == [1, 1, 2, 2, 4, 64]


def test_probing_shrinks_to_what_the_device_holds() -> None:
    capacity = 10 * GiB  # a simulated device: 60 KB per token + 1 GiB fixed, out of memory above capacity

    def run_batch(tokens: int) -> int:
        peak = 60_000 * tokens + GiB
        if peak > capacity:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return peak

    budget = 0.8 * capacity
    fitted = sizing.fit_to_budget(64 * 4096, 4096, budget, run_batch)  # out of memory: halved, then probed again
    assert fitted % 4096 == 0 and 16 * 4096 <= fitted < 32 * 4096 and 60_000 * fitted + GiB <= budget
    assert sizing.fit_to_budget(8 * 4096, 4096, budget, run_batch) == 8 * 4096  # the estimate fits: kept
    fitted = sizing.fit_to_budget(40 * 4096, 4096, budget, lambda t: 70_000 * t + GiB)  # estimate too low
    assert fitted % 4096 == 0 and 70_000 * fitted + GiB <= budget


class BudgetScorer(Scorer):
    """A Scorer on a simulated device that holds `budget` tokens per batch (rows x row width)."""

    budget = 10**9
    failed: list[int]

    def _losses(self, rows, segments):
        width = self.row_length if self.pack else max(len(segments[row[0]].ids) for row in rows)
        if len(rows) * width > self.budget:
            self.failed.append(len(rows))
            raise torch.OutOfMemoryError(f"CUDA out of memory: {len(rows)} rows of {width}")
        return super()._losses(rows, segments)


def _scorers(pack: bool, budget: int) -> tuple[Scorer, BudgetScorer]:
    model = tiny_model("llama", max_position_embeddings=256)
    loaded = LoadedModel(model, SimpleNamespace(pad_token_id=0), "tiny", "tiny", torch.device("cpu"), torch.float32)
    plain = Scorer(loaded, HEADS, max_length=32, batch_tokens=64, pack=pack)
    limited = BudgetScorer(loaded, HEADS, max_length=32, batch_tokens=1024, pack=pack)
    limited.min_fill = plain.min_fill = 0.0  # padded batches of any lengths
    limited.budget, limited.failed = budget, []
    return plain, limited


@pytest.mark.parametrize("pack", [True, False])
def test_an_out_of_memory_batch_is_split_and_retried(pack: bool) -> None:
    rng = random.Random(0)
    docs = [[rng.randrange(1, 97) for _ in range(rng.randrange(2, 60))] for _ in range(30)]
    plain, limited = _scorers(pack, budget=200)
    progress: list[int] = []
    results = limited.score_token_lists(docs, on_batch=lambda done, _tokens: progress.append(done))
    assert limited.failed and limited.batch_tokens < 1024  # batches failed, later ones were planned smaller
    assert sum(progress) == len(docs)  # every document scored once
    for got, expected in zip(results, plain.score_token_lists(docs), strict=True):
        assert got.loss_base == pytest.approx(expected.loss_base, rel=1e-5)
        assert got.loss_masked == pytest.approx(expected.loss_masked, rel=1e-5)


def test_a_row_that_never_fits_is_the_documents_error() -> None:
    _plain, limited = _scorers(pack=False, budget=20)  # rows of over 20 tokens never fit
    docs = [[5, 6, 7, 8], list(range(2, 40)), [9, 10, 11]]
    results = score_isolated(limited, None, docs)
    assert [r.reason is None for r in results] == [True, False, True]
    assert "out of memory" in results[1].reason
