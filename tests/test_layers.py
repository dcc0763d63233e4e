"""No module imports from a layer above its own (docs/ARCHITECTURE.md), lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "attention_influence"
LAYERS = [  # lowest first; a module may import from its own layer and the ones before it
    ("errors",),
    ("config", "progress"),
    ("corpus", "measures"),
    ("models",),
    ("masking",),
    ("heads",),
    ("runs",),
    ("scoring",),
    ("pipeline",),
    ("integrations", "selection"),
    ("reports",),
    ("api",),
    ("cli", "__init__", "__main__"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("attention_influence.")]


def test_imports_run_down_the_layers():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        layer = relative.parts[0] if len(relative.parts) > 1 else relative.name
        assert layer in RANK, f"{relative}: add its layer to LAYERS and docs/ARCHITECTURE.md"
        for module in _imports(path):
            if RANK[_layer(module)] > RANK[layer]:
                wrong.append(f"{relative} imports {module}")
    assert wrong == []
