"""The layers point down only: a blueprint calls services, never a store or a renderer, and
the pure core (domain) and the stores never reach up to a service or a blueprint."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "chalicelib"
# The modules every layer may use: settings, time, ids, errors, cursors, logging.
SHARED = {"core"}


def _runtime_imports(path: Path) -> set[str]:
    """The chalicelib modules `path` imports when it runs (not those under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("chalicelib")}
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "shared"
    if parts[1] in ("api", "domain", "store", "render", "services"):
        return parts[1].removesuffix("s") if parts[1] == "services" else parts[1]
    return "shared" if parts[1] in SHARED else "unknown"


# Idempotency keys belong to the HTTP edge, which keeps its records itself.
ALLOWED = {("chalicelib/api/edge/replay.py", "chalicelib.store.idempotency")}
FORBIDDEN = {
    "api": {"store", "render"},
    "domain": {"api", "service", "store", "render"},
    "store": {"api", "service"},
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_points_the_wrong_way(layer: str) -> None:
    wrong = [
        f"{path.relative_to(LIB.parent)} imports {module}"
        for path in sorted((LIB / layer).rglob("*.py"))
        for module in sorted(_runtime_imports(path))
        if _layer(module) in FORBIDDEN[layer] and (str(path.relative_to(LIB.parent)), module) not in ALLOWED
    ]
    assert wrong == []
