"""Without the optional extras, the Ray engine and the datatrove steps say in one line what to
install, in forms that work: the packages by name (PyPI has no attention-influence), or the
extra of a clone ('.[ray]')."""

from __future__ import annotations

import re
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


DATATROVE = (
    "pip install 'datatrove>=0.4' 'orjson>=3.8' (or, in a clone of attention-influence: pip install '.[datatrove]')"
)
RAY = "pip install 'ray[data]>=2.40,<3' (or, in a clone of attention-influence: pip install '.[ray]')"


@pytest.mark.parametrize(
    ("package", "statement", "says"),
    [
        ("datatrove", "import attention_influence.integrations.datatrove", DATATROVE),
        (
            "datatrove",
            "from attention_influence.config import EngineSettings as E; from attention_influence.pipeline import make_executor; make_executor(E('datatrove'))",
            DATATROVE,
        ),
        (
            "ray",
            "from attention_influence.config import EngineSettings as E; from attention_influence.pipeline import make_executor; make_executor(E('ray'))",
            RAY,
        ),
    ],
)
def test_missing_extra_names_the_install(package, statement, says):
    line = _import_without(package, statement)
    assert line.startswith("attention_influence.errors.MissingExtraError: ") and line.endswith(f"[{package}]: {says}")


def test_the_named_requirements_are_those_of_pyproject():
    """The fallback list (no installed metadata) is the extras of pyproject.toml."""
    from attention_influence.errors import EXTRAS

    text = (Path(SRC).parent / "pyproject.toml").read_text()
    for extra, requirements in EXTRAS.items():
        line = re.search(rf"^{extra} = \[(.*)\]", text, re.M)[1]
        assert tuple(re.findall(r'"([^"]+)"', line)) == requirements
