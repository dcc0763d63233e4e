"""Without the optional extras, the Ray engine and the datatrove steps say what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _import_without(package: str, statement: str) -> str:
    code = f"import sys; sys.modules[{package!r}] = None; sys.path.insert(0, {SRC!r}); {statement}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("package", "statement", "extra"),
    [
        ("datatrove", "import attention_influence.distributed.datatrove_steps", "attention-influence[datatrove]"),
        (
            "ray",
            "from attention_influence.distributed.ray_engine import score_corpus_ray; score_corpus_ray('x', 'y', '0:0')",
            "attention-influence[ray]",
        ),
    ],
)
def test_missing_extra_names_the_install(package, statement, extra):
    assert f"pip install '{extra}'" in _import_without(package, statement)
