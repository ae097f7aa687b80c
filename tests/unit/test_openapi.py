"""`openapi.yaml`, the contract's twin: a valid OpenAPI 3.1 document that lists every route the
app serves, with the same methods, and keeps the conventions on every operation."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi.yaml"
PREFIX = "/v1"
METHODS = {"get", "put", "post", "delete", "patch"}
# The sections whose routes must be there exactly as the app serves them.
FOUNDATION = {
    "/health",
    "/.well-known/jwks.json",
    "/doctors",
    "/patients",
    "/patients/{patient_id}",
    "/patients/{patient_id}/tokens",
    "/insurers/{insurer}/tokens",
    "/devices",
    "/practice/enrolment-codes",
    "/practice/devices",
    "/practice/devices/{device_id}",
    "/patients/status",
    "/invoices",
    "/invoices/{invoice_id}",
    "/invoices/{invoice_id}/pdf",
    "/invoices/{invoice_id}/qr.svg",
    "/invoices/{invoice_id}/payments",
    "/invoices/{invoice_id}/cancel",
    "/insurer/scan",
    "/patient/documents",
    "/patient/documents/{document_id}",
}


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def documented() -> dict[str, set[str]]:
    return {path: {m.upper() for m in item if m in METHODS} for path, item in document()["paths"].items()}


def served() -> dict[str, set[str]]:
    """The routes of the API; the reference page that shows the document, and the document
    itself, are not operations of it."""
    from app import app
    from chalicelib.api import reference

    return {
        path.removeprefix(PREFIX): set(methods)
        for path, methods in app.routes.items()
        if any(entry.view_function.__module__ != reference.__name__ for entry in methods.values())
    }


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def parameter_names(op: dict[str, Any]) -> set[str]:
    names = set()
    shared = document()["components"]["parameters"]
    for parameter in op.get("parameters", []):
        found = shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        names.add(found["name"])
    return names


def test_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    validate(document())


def test_every_served_route_is_documented() -> None:
    paths = documented()
    for path, methods in served().items():
        assert path in paths, f"{path} is served but not documented"
        assert methods <= paths[path], f"{path}: {methods - paths[path]} not documented"


@pytest.mark.parametrize("path", sorted(FOUNDATION))
def test_foundation_routes_have_the_same_methods(path: str) -> None:
    assert served()[path] == documented()[path]


def test_the_contract_sections_are_all_there() -> None:
    paths = documented()
    for path in (
        "/patient/claims",
        "/insurer/claims",
        "/insurer/claims/{claim_id}/decision",
        "/webhooks",
        "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
        "/practice/availability",
        "/doctors/{doctor_code}/slots",
        "/appointments",
        "/appointments/{appointment_id}",
        "/patient/relatives/{link_id}/accept",
        "/practice/reconciliation",
    ):
        assert path in paths


def test_creating_posts_take_an_idempotency_key() -> None:
    for path, method, op in operations():
        if method == "post" and "201" in op["responses"]:
            assert "Idempotency-Key" in parameter_names(op), f"POST {path}"


def test_lists_take_limit_and_cursor() -> None:
    for path, method, op in operations():
        ok = op["responses"].get("200", {})
        text = yaml.safe_dump(ok)
        if "Page" in text or "Claims" in text or "Appointments" in text:
            assert {"limit", "cursor"} <= parameter_names(op), f"{method.upper()} {path}"


def test_errors_are_problem_json() -> None:
    responses = document()["components"]["responses"]
    for path, method, op in operations():
        for status, answer in op["responses"].items():
            if status[0] in "45":
                name = answer["$ref"].rsplit("/", 1)[1]
                assert "application/problem+json" in responses[name]["content"], f"{method} {path} {status}"


def test_secured_routes_answer_401_and_403() -> None:
    for path, method, op in operations():
        if op.get("security", document()["security"]):
            assert {"401", "403"} <= set(op["responses"]), f"{method.upper()} {path}"
