"""`openapi.yaml`, the contract's twin: generated from the route table and the models, kept
current, a valid OpenAPI 3.1 document that lists every route the app serves with the same
methods, and keeps the conventions on every operation."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.yaml"
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
# Lists that answer all their items at once, so they take no `limit` or `cursor`.
ONE_PAGE = {"SlotPage", "RelativePage"}


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def documented() -> dict[str, set[str]]:
    return {path: {m.upper() for m in item if m in METHODS} for path, item in document()["paths"].items()}


def served() -> dict[str, set[str]]:
    from app import app

    return {path.removeprefix(PREFIX): set(methods) for path, methods in app.routes.items()}


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


def resolved(answer: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in answer:
        found: dict[str, Any] = document()["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        return found
    return answer


def test_the_published_file_is_generated_from_the_code() -> None:
    import app  # noqa: F401 (registers every route)
    from chalicelib.api import contract

    assert DOCUMENT.read_text(encoding="utf-8") == contract.published(), (
        "openapi.yaml is stale: run `make openapi` and commit it"
    )


def test_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    validate(document())


def test_every_served_route_is_documented_and_nothing_else() -> None:
    assert documented() == served()


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


# POSTs whose answer holds a token given once: a replayed answer would give it twice, so they
# are safe to retry otherwise (a spent enrolment code is 409, a rotated token 401).
TOKEN_GIVEN_ONCE = {"/devices", "/sessions/rotate"}


def test_creating_posts_take_an_idempotency_key() -> None:
    for path, method, op in operations():
        if method == "post" and "201" in op["responses"]:
            expected = path not in TOKEN_GIVEN_ONCE
            assert ("Idempotency-Key" in parameter_names(op)) is expected, f"POST {path}"


def test_lists_take_limit_and_cursor() -> None:
    schemas = document()["components"]["schemas"]
    for path, method, op in operations():
        answer = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        name = answer.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        if name and "next_cursor" in schemas[name]["properties"] and name not in ONE_PAGE:
            assert {"limit", "cursor"} <= parameter_names(op), f"{method.upper()} {path}"


def test_errors_are_problem_json() -> None:
    for path, method, op in operations():
        for status, answer in op["responses"].items():
            if status[0] in "45":
                content = resolved(answer)["content"]
                assert set(content) == {"application/problem+json"}, f"{method} {path} {status}"


def test_every_answer_carries_a_request_id() -> None:
    for path, method, op in operations():
        for status, answer in op["responses"].items():
            assert "X-Request-Id" in resolved(answer)["headers"], f"{method} {path} {status}"


def test_secured_routes_answer_401_and_403_and_name_their_roles() -> None:
    import app  # noqa: F401 (registers every route)
    from chalicelib.api.edge.routing import ROUTES

    roles = {(route.path, route.method.lower()): route.roles for route in ROUTES}
    for path, method, op in operations():
        expected = roles[path, method]
        if expected is None:
            assert op["security"] == [], f"{method.upper()} {path}"
            continue
        assert {"401", "403"} <= set(op["responses"]), f"{method.upper()} {path}"
        assert {role for requirement in op["security"] for role in requirement["bearer"]} == expected


def test_a_refusal_beyond_the_schema_is_listed_with_its_rule() -> None:
    got = document()["paths"]["/invoices"]["post"]["responses"]["422"]["description"]
    assert "`service_date`: not in the future" in got
    assert "`lines[].code`: in the nomenclature" in got
    assert "`payment.amount_cents`: at most what the patient owes" in got


def test_the_contract_costs_nothing_at_cold_start() -> None:
    probe = "import sys, app; print(' '.join(m for m in sys.modules if m.startswith('chalicelib.api.')))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = out.stdout.split()
    assert not [m for m in loaded if m.startswith(("chalicelib.api.answers", "chalicelib.api.contract"))]


def test_every_operation_says_what_it_does() -> None:
    """Summaries come from the handlers' docstrings: a handler without one shows up here."""
    for path, method, op in operations():
        assert op["summary"], f"{method.upper()} {path}"
        assert op["operationId"], f"{method.upper()} {path}"
