"""The layers point down only, as DESIGN.md draws them:

    api → services → store, render → core → domain

Every import counts: at module top, inside a function (the lazy ones that keep the cold start
short), and under `TYPE_CHECKING`, because a type-only import is still a dependency. Within
services and within stores, no module imports back the module that imports it (no cycles),
and a service names a store module, never a name from inside one, so no PynamoDB model is
visible above `store/`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "chalicelib"
LAYERS = ("api", "services", "store", "render", "core", "domain")

# What each layer may import, besides itself.
MAY_IMPORT: dict[str, set[str]] = {
    "api": {"services", "core", "domain"},
    "services": {"store", "render", "core", "domain"},
    "store": {"core", "domain"},
    "render": {"core", "domain"},
    "core": {"domain"},
    "domain": set(),
}
# The HTTP edge keeps the records of idempotent replays itself: they are the edge's state,
# not a use case's.
EXCEPTIONS = {("chalicelib/api/edge/replay.py", "chalicelib.store.idempotency")}


def _modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py") if p.name != "__init__.py")


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imports(path: Path) -> Iterator[str]:
    """Every chalicelib module or name `path` imports, wherever the import statement stands.
    `from chalicelib.store import invoices` gives `chalicelib.store.invoices`."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "chalicelib" or node.module.startswith("chalicelib."):
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("chalicelib"))


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "unknown"


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _module_of(dotted: str) -> str:
    """The module an imported name lives in (the name itself where it is a module)."""
    return dotted if _is_module(dotted) else dotted.rsplit(".", 1)[0]


def test_every_module_belongs_to_a_layer() -> None:
    assert [_name(p) for p in _modules() if _layer(_name(p)) == "unknown"] == []


@pytest.mark.parametrize("layer", LAYERS)
def test_no_import_points_up_or_across(layer: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules()
        if _layer(_name(path)) == layer
        for module in sorted(set(_imports(path)))
        if _layer(module) not in MAY_IMPORT[layer] | {layer}
        and (str(path.relative_to(ROOT)), _module_of(module)) not in EXCEPTIONS
    ]
    assert wrong == []


def test_services_name_store_modules_never_their_models() -> None:
    """`from chalicelib.store import invoices` is how a service reaches a table; a name taken
    from inside a store module (a PynamoDB model, an index) would travel up with it."""
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules()
        if _layer(_name(path)) == "services"
        for module in sorted(set(_imports(path)))
        if _layer(module) == "store" and not _is_module(module)
    ]
    assert wrong == []


@pytest.mark.parametrize("layer", ["services", "store"])
def test_no_import_cycle_within_a_layer(layer: str) -> None:
    graph = {
        _name(path): {
            _module_of(m) for m in _imports(path) if _layer(m) == layer and _module_of(m) != _name(path)
        }
        for path in _modules()
        if _layer(_name(path)) == layer
    }
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif len(trail) < len(graph):
                visit(nxt, [*trail, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_only_the_stores_know_pynamodb_and_boto3() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {alias}"
        for path in _modules()
        if _layer(_name(path)) != "store"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        )
        if alias.split(".")[0] in {"pynamodb", "boto3", "botocore"}
    ]
    assert wrong == []
