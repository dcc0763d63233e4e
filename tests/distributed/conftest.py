"""A few dozen short real documents in two JSONL files (short so the embedded model is quick)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


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


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One thread: on a shared 2-core machine, more threads make scoring many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
