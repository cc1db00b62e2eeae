"""The data flow of STYLE.md: compiler never imports imcsim; only the front end imports onnx."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imports(path: Path) -> set[str]:
    return {m.split(".")[0] for m in _modules(path)}


@pytest.mark.parametrize("path", sorted((REPO / "compiler").rglob("*.py")), ids=str)
def test_compiler_does_not_import_the_rest_of_imcsim(path):
    """The compiler installs as imcsim.compiler; it imports itself by that name and
    nothing else of imcsim."""
    others = {m for m in _modules(path)
              if m.split(".")[0] == "imcsim" and not m.startswith("imcsim.compiler")}
    assert not others


@pytest.mark.parametrize("path", sorted(p for pkg in ("compiler", "imcsim", "tests",
                                                        "benchmarks", "models")
                                        for p in (REPO / pkg).rglob("*.py")), ids=str)
def test_nothing_imports_a_top_level_compiler_package(path):
    """One top-level package: `compiler` is not installed under that name."""
    assert "compiler" not in _imports(path)


@pytest.mark.parametrize(
    "path",
    sorted(p for pkg in ("compiler", "imcsim") for p in (REPO / pkg).rglob("*.py")
           if "frontend" not in p.parts),
    ids=str,
)
def test_only_the_front_end_imports_onnx(path):
    assert "onnx" not in _imports(path)
