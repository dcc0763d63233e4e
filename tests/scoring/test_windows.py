"""Long documents are scored in windows: every token after the first predicted exactly once; for a
model whose tokenizer puts a BOS in front of every text (Gemma, Llama-3), every later window starts
with the BOS too, and the token after it, already predicted, is context only."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from attention_influence.models import LoadedModel
from attention_influence.scoring import Scorer
from attention_influence.scoring.engine import bos_token, document_windows, split_windows
from attention_influence.scoring.packing import Window
from tests.conftest import tiny_model

BOS = 2


class BosTokenizer:
    """A tokenizer (token ids are fed directly) that puts BOS in front of every text."""

    pad_token_id, bos_token_id = 0, BOS

    def __call__(self, texts, add_special_tokens=True):
        return {"input_ids": [[BOS, 5] for _ in texts]}


def _scored_targets(windows: list[Window]) -> list[int]:
    """The tokens the windows predict, in order: each window's targets after its context-only ones."""
    return [t for window in windows for t in list(window.ids)[1 + window.skip :]]


@pytest.mark.parametrize("length", [5, 31, 32, 33, 64, 95, 200])
def test_every_token_after_the_first_is_predicted_once(length):
    ids = [BOS] + [10 + i for i in range(length - 1)]
    for bos in (None, BOS):
        windows = document_windows(ids, 32, bos)
        assert all(len(w.ids) <= 32 for w in windows)
        assert _scored_targets(windows) == ids[1:]
        assert all(w.ids[0] == BOS for w in windows) or bos is None
    assert [list(w.ids) for w in document_windows(ids, 32)] == [list(w) for w in split_windows(ids, 32)]
    assert document_windows([7, *ids[1:]], 32, BOS) == document_windows([7, *ids[1:]], 32)  # no BOS to repeat


def test_the_bos_of_the_tokenizer_is_found():
    assert bos_token(BosTokenizer()) == BOS
    assert bos_token(type("NoBos", (), {"bos_token_id": None, "pad_token_id": 0})()) is None


def test_later_windows_see_the_bos_and_the_losses_are_theirs():
    """The score is the mean, over every predicted token, of the losses the model gives each window
    as it sees it (a BOS in front), computed here with plain forwards."""
    model = tiny_model("gemma3", max_position_embeddings=256)
    loaded = LoadedModel(model, BosTokenizer(), "tiny", "tiny", torch.device("cpu"), torch.float32)
    scorer = Scorer(loaded, [(1, 0), (2, 1)], max_length=24)
    rng = random.Random(0)
    ids = [BOS] + [rng.randrange(3, 97) for _ in range(70)]
    (doc,) = scorer.score_token_lists([ids])
    expected = []
    for window, skip in document_windows(ids, 24, BOS):
        tensor = torch.tensor([window])
        with torch.no_grad():
            logits = model(input_ids=tensor).logits[0, :-1].float()
        expected += F.cross_entropy(logits, tensor[0, 1:], reduction="none")[skip:].tolist()
    assert len(expected) == len(ids) - 1 == doc.n_predicted
    assert doc.loss_base == pytest.approx(sum(expected) / len(expected), rel=1e-5)
    base, masked = scorer.token_losses(ids)
    assert base == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert sum(masked) / len(masked) == pytest.approx(doc.loss_masked, rel=1e-5)
