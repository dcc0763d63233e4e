"""Shared fixtures: the embedded model (loaded once per session), real text, tiny random models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2-135M-Instruct, float32 on CPU."""
    from attention_influence.models import load_model

    return load_model(None, device="cpu", dtype="float32")


def _shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def gsm8k_texts() -> list[str]:
    """Real math documents (question + worked answer) from GSM8K test."""
    lines = _shared("gsm8k/test.jsonl").read_text().splitlines()[:40]
    return [json.loads(line)["question"] + "\n" + json.loads(line)["answer"] for line in lines]


@pytest.fixture(scope="session")
def wikitext_texts() -> list[str]:
    """Real prose paragraphs from wikitext-2 valid."""
    text = _shared("wikitext-2/valid.txt").read_text()
    return [p.strip() for p in text.split("\n") if len(p.strip()) > 200][:40]


@pytest.fixture(scope="session")
def wikitext_path() -> Path:
    return _shared("wikitext-2/valid.txt")


def tiny_llama(layers: int = 3, heads: int = 4, kv_heads: int = 2, vocab: int = 97, seed: int = 0):
    """A tiny random Llama (no download), float32, eval mode."""
    import transformers

    config = transformers.LlamaConfig(
        vocab_size=vocab,
        hidden_size=8 * heads,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        intermediate_size=64,
        initializer_range=0.2,
        max_position_embeddings=256,
    )
    torch.manual_seed(seed)
    return transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
