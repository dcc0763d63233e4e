"""Shared fixtures: the embedded model (loaded once per session), real text, tiny random models.

Real text comes only from tests/fixtures/ (excerpts of GSM8K and wikitext-2; sources and licences
in tests/fixtures/LICENSES.md), so a fresh clone runs every test. A test may skip only for a missing
GPU (`requires_gpu`); any other skip turns the run red (`pytest_sessionfinish` below)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NO_GPU = "needs a CUDA GPU and none is available"  # the one allowed skip reason
requires_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_GPU)


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2-135M-Instruct, float32 on CPU."""
    from attention_influence.models import load_model

    return load_model(None, device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def gsm8k_path() -> Path:
    """The first 40 lines of GSM8K test.jsonl (question and worked answer per line)."""
    return FIXTURES / "gsm8k" / "test-first40.jsonl"


@pytest.fixture(scope="session")
def gsm8k_texts(gsm8k_path) -> list[str]:
    """Real math documents (question + worked answer) from GSM8K test."""
    rows = [json.loads(line) for line in gsm8k_path.read_text(encoding="utf-8").splitlines()[:40]]
    return [row["question"] + "\n" + row["answer"] for row in rows]


@pytest.fixture(scope="session")
def wikitext_path() -> Path:
    """The first 346 lines (five articles, 94 KB) of wikitext-2 valid.txt."""
    return FIXTURES / "wikitext-2" / "valid-first5articles.txt"


@pytest.fixture(scope="session")
def wikitext_texts(wikitext_path) -> list[str]:
    """Real prose paragraphs (200-900 characters) from wikitext-2 valid."""
    text = wikitext_path.read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n") if 200 < len(p.strip()) < 900][:40]


_forbidden_skips: list[str] = []  # "node id: reason" of each skip that is not for a missing GPU


def _record_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if not reason.startswith(NO_GPU):
        _forbidden_skips.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skip for any reason but a missing GPU fails the run: every test must run on a fresh clone."""
    if _forbidden_skips and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _forbidden_skips:
        count = len(_forbidden_skips)
        terminalreporter.write_sep("=", f"FAILED: {count} skipped for a reason other than a missing GPU", red=True)
        for line in _forbidden_skips:
            terminalreporter.write_line(line)


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
