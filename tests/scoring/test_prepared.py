"""The prepared model (scoring/prepared.py) is the one owner of what scoring sets on a model: Scorers
share it and change nothing themselves; other settings prepare the model again, retire the earlier
preparation (its Scorers refuse to run) and give the model its own attention kernel back."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch

from attention_influence.errors import InternalError, SettingError
from attention_influence.masking.attention import base_attention
from attention_influence.models import LoadedModel
from attention_influence.scoring import PreparedModel, Scorer, prepare
from tests.conftest import tiny_llama


def _loaded() -> LoadedModel:
    return LoadedModel(
        tiny_llama(), SimpleNamespace(pad_token_id=0), "tiny", "tiny", torch.device("cpu"), torch.float32
    )


def _docs(n: int = 6) -> list[list[int]]:
    rng = random.Random(0)
    return [[rng.randrange(1, 97) for _ in range(rng.randrange(8, 60))] for _ in range(n)]


def test_scorers_share_one_preparation_and_leave_the_model_alone():
    loaded = _loaded()
    first = Scorer(loaded, [(1, 0), (2, 3)])
    kernel, compiled = base_attention(loaded.model), loaded.model.config._attn_implementation
    second = Scorer(loaded, [(2, 1)], max_length=32)  # the control's and the explain pages' kind of Scorer
    assert isinstance(loaded.prepared, PreparedModel)
    assert first.prepared is second.prepared is loaded.prepared is prepare(loaded)
    assert (base_attention(loaded.model), loaded.model.config._attn_implementation) == (kernel, compiled)
    docs = _docs()
    alone = Scorer(_loaded(), [(1, 0), (2, 3)]).score_token_lists(docs)  # a fresh copy of the same weights
    for mine, theirs in zip(first.score_token_lists(docs), alone, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-6)


def test_other_settings_prepare_again_and_retire_the_earlier_preparation():
    loaded = _loaded()
    old = Scorer(loaded, [(1, 0)])
    plain = base_attention(loaded.model)
    packed = Scorer(loaded, [(1, 0)], pack=True)
    assert packed.prepared is not old.prepared and old.prepared.retired and packed.pack
    with pytest.raises(InternalError, match="prepared again with other settings"):
        old.score_token_lists(_docs(2))
    assert len(packed.score_token_lists(_docs(2))) == 2
    same = Scorer(loaded, [(2, 0)], pack=True)
    assert same.prepared is packed.prepared  # the same settings: nothing prepared again
    Scorer(loaded, [(1, 0)], pack=False)
    assert packed.prepared.retired and base_attention(loaded.model) == plain


def test_token_losses_are_the_scoring_pass_token_by_token():
    loaded = _loaded()
    scorer = Scorer(loaded, [(1, 0), (2, 3)], max_length=24)
    for ids in _docs(4):
        base, masked = scorer.token_losses(ids)
        (doc,) = scorer.score_token_lists([ids])
        assert len(base) == len(masked) == len(ids) - 1  # every token after the first, across windows
        assert sum(base) / len(base) == pytest.approx(doc.loss_base, rel=1e-5)
        assert sum(masked) / len(masked) == pytest.approx(doc.loss_masked, rel=1e-5)


def test_a_prepared_model_takes_no_settings_of_its_own():
    prepared = prepare(_loaded())
    with pytest.raises(SettingError, match="prepared already"):
        Scorer(prepared, [(1, 0)], pack=True)
    assert Scorer(prepared, [(1, 0)]).prepared is prepared
