"""What the contract fuzz (`test_contract_fuzz`) adds to schemathesis, loaded by it through
`SCHEMATHESIS_HOOKS`:

- valid matricules for `format: matricule`, the seeded patients' among them, so the fuzzer's
  valid requests get past the check digits and reach the registry;
- the check that a request fitting the schema is refused with 422 only on a field whose schema
  names a rule beyond itself (`x-rule`): schemathesis allows the 422 for that, this holds the
  server to the rules the contract states;
- webhook URLs of valid requests pinned to 127.0.0.1: the server resolves the host of an
  endpoint it registers, and the fuzz sends nothing beyond this machine.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, HookContext, Response

from tests.matricules import matricule

PATIENT = "1893120105732"
RELATIVE = "1985030400267"
RULE = "x-rule"
_INDEX = re.compile(r"\[\d+\]")


def _matricules() -> st.SearchStrategy[str]:
    born = st.dates().filter(lambda day: day.year >= 1900).map(lambda day: day.strftime("%Y%m%d"))
    serial = st.integers(0, 999).map(lambda n: f"{n:03d}")
    made = st.builds(matricule, born, serial)
    grouped = made.map(lambda m: f"{m[:4]} {m[4:8]} {m[8:11]} {m[11:]}")
    return st.sampled_from([PATIENT, RELATIVE]) | made | grouped


schemathesis.openapi.format("matricule", _matricules())


@schemathesis.hook
def map_case(context: HookContext, case: Case[Any]) -> Case[Any]:
    body = case.body
    url = body.get("url") if isinstance(body, dict) else None
    if case.operation.path == "/webhooks" and isinstance(body, dict) and isinstance(url, str):
        meta = case.meta
        if meta is not None and meta.generation.mode.is_positive:
            case.body = {**body, "url": urlunsplit(urlsplit(url)._replace(netloc="127.0.0.1"))}
    return case


@schemathesis.check
def refusals_name_their_rule(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    fields = [error["field"] for error in response.json().get("errors", [])]
    document = case.operation.schema.raw_schema
    operation = document["paths"][case.operation.path][case.operation.method.lower()]
    unruled = [field for field in fields if not _has_rule(document, operation, field)]
    if unruled or not fields:
        raise AssertionError(
            f"A request that fits the schema was refused with 422 on {unruled or 'no field'}, "
            f"whose schema names no rule ({RULE}) beyond itself"
        )
    return None


def _has_rule(document: dict[str, Any], operation: dict[str, Any], field: str) -> bool:
    for parameter in operation.get("parameters", []):
        found = _resolve(document, parameter)
        if found["name"] == field and _ruled(document, found["schema"]):
            return True
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return False
    schema: dict[str, Any] | None = body["schema"]
    for step in _INDEX.sub(".[]", field).split("."):
        schema = _step(document, schema, step) if schema is not None else None
    return schema is not None and _ruled(document, schema)


def _step(document: dict[str, Any], schema: dict[str, Any], step: str) -> dict[str, Any] | None:
    for branch in _branches(document, schema):
        if step == "[]" and isinstance(branch.get("items"), dict):
            return dict(branch["items"])
        if step in branch.get("properties", {}):
            return dict(branch["properties"][step])
    return None


def _ruled(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    return any(RULE in branch for branch in _branches(document, schema))


def _branches(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """`schema` itself, then each schema of its `anyOf`, references followed."""
    found = _resolve(document, schema)
    return [found, *(_resolve(document, branch) for branch in found.get("anyOf", []))]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node
