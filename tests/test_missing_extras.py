"""Without the optional extras, the Ray engine and the datatrove steps say what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _import_without(package: str, statement: str) -> str:
    code = f"import sys; sys.modules[{package!r}] = None; sys.path.insert(0, {SRC!r}); {statement}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("package", "statement", "extra"),
    [
        ("datatrove", "import attention_influence.integrations.datatrove", "attention-influence[datatrove]"),
        (
            "datatrove",
            "from attention_influence.pipeline import make_executor; make_executor('datatrove')",
            "attention-influence[datatrove]",
        ),
        (
            "ray",
            "from attention_influence.pipeline import make_executor; make_executor('ray')",
            "attention-influence[ray]",
        ),
    ],
)
def test_missing_extra_names_the_install(package, statement, extra):
    assert f"pip install '{extra}'" in _import_without(package, statement)
