"""The package's layers: each imports only layers below it, nothing imports the CLI, and
no import cycle exists anywhere inside rifkb (imports inside functions included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import rifkb

PACKAGE = Path(rifkb.__file__).parent
# Lowest first; a module may import from its own layer or one listed before it.
LAYERS = (
    ("rifkb", "rifkb.errors", "rifkb.files"),
    ("rifkb.records",),
    ("rifkb.corpus",),
    ("rifkb.rules",),
    ("rifkb.nlp",),
    ("rifkb.kb",),
    ("rifkb.review",),
    ("rifkb.web",),
    ("rifkb.cli",),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").is_file() or (PACKAGE.parent / relative).is_dir()


def _imports(path: Path) -> set[str]:
    """rifkb modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "rifkb"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rifkb":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _is_module(sub) else node.module)
    return found


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imports(path) if target != name)
    return graph


def _layer(module: str) -> int:
    best = max(
        ((i, prefix) for i, layer in enumerate(LAYERS) for prefix in layer
         if module == prefix or module.startswith(prefix + ".")),
        key=lambda found: len(found[1]),
    )  # fmt: skip
    return best[0]


def test_no_import_cycle_inside_rifkb():
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_module_imports_from_a_higher_layer():
    upward = [(a, b) for a, b in _graph().edges if _layer(b) > _layer(a)]
    assert not upward, f"imports that run back up: {sorted(upward)}"


def test_every_module_has_a_layer():
    assert all(_layer(module) >= 0 for module in _graph())


@pytest.mark.parametrize(
    "heavy",
    ["spacy", "pandas", "matplotlib", "networkx", "Bio", "scispacy", "sklearn", "starlette", "jinja2"],
)
def test_the_cli_imports_no_heavy_library_before_a_command_runs(heavy):
    code = f"import sys, rifkb.cli; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
