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
    """Real prose paragraphs (200-900 characters) from wikitext-2 valid."""
    text = _shared("wikitext-2/valid.txt").read_text()
    return [p.strip() for p in text.split("\n") if 200 < len(p.strip()) < 900][:40]


@pytest.fixture(scope="session")
def wikitext_path() -> Path:
    return _shared("wikitext-2/valid.txt")


SMALL = dict(
    initializer_range=0.2,
    vocab_size=97,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=64,
)
TINY_CONFIGS = {  # architecture -> (config class, its arguments)
    "llama": ("LlamaConfig", dict(SMALL, num_key_value_heads=2)),
    "qwen2": ("Qwen2Config", dict(SMALL, num_key_value_heads=2)),
    "qwen3": ("Qwen3Config", dict(SMALL, num_key_value_heads=2, head_dim=8)),
    "mistral": ("MistralConfig", dict(SMALL, num_key_value_heads=2, sliding_window=5)),
    "gemma3": (
        "Gemma3TextConfig",
        dict(SMALL, num_key_value_heads=1, head_dim=8, sliding_window=4, layer_types=None, query_pre_attn_scalar=8),
    ),
    "phi3": ("Phi3Config", dict(SMALL, num_key_value_heads=4, pad_token_id=0)),
    "gpt2": ("GPT2Config", dict(initializer_range=0.2, vocab_size=97, n_embd=32, n_layer=3, n_head=4, n_positions=64)),
    "gpt_neox": ("GPTNeoXConfig", dict(SMALL, rotary_pct=0.5)),
    "olmo2": ("Olmo2Config", dict(SMALL, num_key_value_heads=2)),
}


def tiny_model(arch: str, attn: str = "sdpa", seed: int = 0, **overrides) -> torch.nn.Module:
    """A tiny random model of `arch` (TINY_CONFIGS; `overrides` change its config), float32, eval mode."""
    import transformers

    config_cls, kwargs = TINY_CONFIGS[arch]
    config = getattr(transformers, config_cls)(**(kwargs | overrides))
    torch.manual_seed(seed)
    return transformers.AutoModelForCausalLM.from_config(config, attn_implementation=attn, dtype=torch.float32).eval()


def tiny_llama(layers: int = 3, heads: int = 4, kv_heads: int = 2, vocab: int = 97, seed: int = 0):
    """A tiny random Llama (no download), float32, eval mode."""
    return tiny_model(
        "llama",
        seed=seed,
        vocab_size=vocab,
        hidden_size=8 * heads,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=256,
    )
