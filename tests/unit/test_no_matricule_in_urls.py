"""No URL carries a matricule: not in a path, not in a query string. Traces, proxies and
browsers keep URLs; bodies may carry the matricule, URLs name patients by `patient_id`.

Three views of the same routes are walked, so that none can slip through: the route table
the app serves, every query model a handler parses, and the OpenAPI document. A parameter
fails by its name, and by its pattern: one that validates as a matricule, or whose declared
pattern accepts one."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import AfterValidator, BaseModel

import chalicelib.api
from chalicelib.domain import matricule
from tests.unit.test_openapi import document, operations

SAMPLES = ("1893120105732", "1893 1201 057 32")
METHODS = {"get", "put", "post", "delete", "patch"}


def _named_like_a_matricule(name: str) -> bool:
    return "matricule" in name.lower()


def _accepts_a_matricule(pattern: str) -> bool:
    return any(re.search(pattern, sample) for sample in SAMPLES)


def _constraints(annotation: Any) -> Iterator[Any]:
    """The metadata of every `Annotated` inside `annotation` (`Matricule | None` included)."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        yield from metadata
        yield from _constraints(base)
    else:
        for argument in get_args(annotation):
            yield from _constraints(argument)


def _is_a_matricule(annotation: Any, metadata: list[Any]) -> bool:
    for constraint in [*metadata, *_constraints(annotation)]:
        if isinstance(constraint, AfterValidator) and constraint.func is matricule.normalize:
            return True
        pattern = getattr(constraint, "pattern", None)
        if isinstance(pattern, str) and _accepts_a_matricule(pattern):
            return True
    return False


def query_models() -> dict[str, type[BaseModel]]:
    """Every model a handler parses its query string with (`call.args(Model)`), by name."""
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(chalicelib.api.__path__):
        module = importlib.import_module(f"chalicelib.api.{info.name}")
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "args"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Name)
            ):
                model = getattr(module, node.args[0].id)
                found[f"{info.name}.{model.__name__}"] = model
    return found


def served_paths() -> list[str]:
    from app import app

    return sorted(app.routes)


def documented_parameters() -> list[tuple[str, dict[str, Any]]]:
    shared = document()["components"]["parameters"]
    found = []
    for path, method, op in operations():
        item = document()["paths"][path]
        for parameter in [*item.get("parameters", []), *op.get("parameters", [])]:
            resolved = shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
            if resolved["in"] in ("path", "query"):
                found.append((f"{method.upper()} {path} {resolved['name']}", resolved))
    return found


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _schema(document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def _schemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schema and the alternatives it allows (`oneOf`, `anyOf`, `allOf`), resolved."""
    resolved = _schema(schema)
    yield resolved
    for key in ("oneOf", "anyOf", "allOf"):
        for alternative in resolved.get(key, []):
            yield from _schemas(alternative)


def _names(schema: dict[str, Any]) -> set[str]:
    """The component names a schema points to, itself or through its alternatives."""
    names: set[str] = set()
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[1]
        names |= {name, *_names(document()["components"]["schemas"][name])}
    for key in ("oneOf", "anyOf", "allOf"):
        for alternative in schema.get(key, []):
            names |= _names(alternative)
    return names


def test_the_walks_see_the_routes() -> None:
    assert len(served_paths()) > 30
    assert {"documents.DocumentQuery", "invoices.InvoiceQuery"} <= set(query_models())
    assert len(documented_parameters()) > 30


@pytest.mark.parametrize("path", served_paths())
def test_no_served_path_names_a_matricule(path: str) -> None:
    for name in re.findall(r"{([^}]+)}", path):
        assert not _named_like_a_matricule(name), f"{path}: {{{name}}}"


@pytest.mark.parametrize("name", sorted(query_models()))
def test_no_query_parameter_is_a_matricule(name: str) -> None:
    for field_name, info in query_models()[name].model_fields.items():
        shown = info.alias or field_name
        assert not _named_like_a_matricule(shown), f"{name}: ?{shown}="
        assert not _is_a_matricule(info.annotation, info.metadata), f"{name}: ?{shown}= is a matricule"


@pytest.mark.parametrize(
    ("where", "parameter"), documented_parameters(), ids=[w for w, _ in documented_parameters()]
)
def test_no_documented_parameter_is_a_matricule(where: str, parameter: dict[str, Any]) -> None:
    assert not _named_like_a_matricule(parameter["name"]), where
    assert "Matricule" not in _names(parameter.get("schema", {})), where
    for schema in _schemas(parameter.get("schema", {})):
        pattern = schema.get("pattern")
        assert pattern is None or not _accepts_a_matricule(pattern), where
        assert not set(schema.get("examples", [])) & set(SAMPLES), where


def test_the_checks_would_catch_a_matricule() -> None:
    """The walk is only worth its checks: the old `?for=<matricule>` and a 13-digit pattern
    both fail them."""
    from chalicelib.api.fields import Matricule

    class OldQuery(BaseModel):
        for_: Matricule | None = None

    info = OldQuery.model_fields["for_"]
    assert _is_a_matricule(info.annotation, info.metadata)
    assert _accepts_a_matricule(r"^\s*[0-9 ]{13,16}\s*$")
    assert _named_like_a_matricule("patient_matricule")
