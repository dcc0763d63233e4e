"""Loading is safe by default: pickle-based weights need allow_pickle, a repository's own code
needs trust_remote_code, and each refusal says which flag unlocks it."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from attention_influence.models import load_model
from attention_influence.models.loading import ModelLoadError, cache_dir
from tests.conftest import tiny_llama


@pytest.fixture
def pickled(tmp_path, embedded):
    """A tiny Llama with only pytorch_model.bin (pickle) weights, and the embedded tokenizer
    (`embedded` converts the embedded model, tokenizer included, on first use)."""
    folder = tmp_path / "pickled"
    model = tiny_llama()
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    tokenizer = next((cache_dir() / "gguf").glob("*/tokenizer.json"), None)
    if tokenizer is None:
        pytest.skip("the embedded model has not been converted yet")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer.parent / name, folder / name)
    return folder


@pytest.mark.slow
def test_pickle_weights_need_allow_pickle(pickled):
    with pytest.raises(ModelLoadError, match=r"\(pickle weights need --allow-pickle\)$"):
        load_model(str(pickled), device="cpu")
    loaded = load_model(str(pickled), device="cpu", allow_pickle=True)
    assert loaded.model.config.num_hidden_layers == 3 and loaded.fingerprint.startswith("files:")


def test_remote_code_needs_trust_remote_code(tmp_path):
    folder = tmp_path / "remote"
    folder.mkdir()
    config = tiny_llama().config.to_dict() | {
        "model_type": "attninf_custom",
        "auto_map": {"AutoConfig": "custom.Config", "AutoModelForCausalLM": "custom.Model"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    ran = tmp_path / "remote-code-ran"
    (folder / "custom.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    with pytest.raises(ModelLoadError, match=r"\(it runs only with --trust-remote-code\)$"):
        load_model(str(folder), device="cpu")
    assert not ran.exists()
