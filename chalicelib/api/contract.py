"""The API's contract: an OpenAPI 3.1 document generated from the route table and the models.

`document()` builds it on demand, never at import (cold start), from the routes registered so
far; importing `app` registers every one of them. `python -m chalicelib.api.contract` (that is
`make openapi`) writes `openapi.yaml`, the published copy, which a test keeps equal to this.

What the edge gives every route is stated here once: the bearer token of the roles a route
names (401 and 403), problem+json errors, the `Idempotency-Key` of a creating request, the
`X-Request-Id` of every answer; each route's own rules come from its decorator, its models and
its docstring.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api import fields
from chalicelib.api.contract_text import DIFFERENCES, INTRODUCTION, ROLES
from chalicelib.api.edge import replay
from chalicelib.api.edge.media import FHIR_JSON, JSON, PROBLEM
from chalicelib.api.edge.routing import ROUTES, Route

SCHEMAS = "#/components/schemas/"
RESPONSES = "#/components/responses/"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
# Path parameters the edge reads (422 when malformed); an id of ours is only ever not found.
_CHECKED_PATH_PARAMETERS = {"doctor_code", "insurer"}

# The schema of each alternative media type a route may answer.
_ALTERNATIVES: dict[str, dict[str, Any]] = {
    FHIR_JSON: {
        "type": "object",
        "description": "A FHIR R4 resource (its `resourceType` says which), as the operation describes.",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}},
    }
}

# The problem answers, by status: the component's name and what the status means here.
_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("Malformed", "The body is not JSON."),
    401: ("Unauthenticated", "No token, or an unknown, expired or revoked one."),
    403: (
        "Forbidden",
        "The token's role may not use this route, or the caller may not act for this patient.",
    ),
    404: ("NotFound", "No such object for this caller: another tenant's object is not revealed either."),
    405: ("MethodNotAllowed", "The path does not take this method; `Allow` lists the ones it takes."),
    406: ("NotAcceptable", "The Accept header does not admit the answer's media type."),
    409: ("Conflict", "The request conflicts with the current state, or its Idempotency-Key is in progress."),
    415: ("UnsupportedMediaType", "The body is not sent as JSON."),
    422: ("Unprocessable", "A rule is broken; `errors` names every field at fault."),
    503: (
        "Unavailable",
        "A service DHN depends on did not answer; send the request again, with its Idempotency-Key, "
        "after `Retry-After` seconds.",
    ),
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route registered."""
    models = _Models()
    paths: dict[str, dict[str, Any]] = {}
    # In a fixed order, whatever order the blueprints happened to be imported in.
    for route in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, models)
    event = models.ref(_answer_model("chalicelib.api.answers.webhooks", "Event"), "serialization")
    schemas = models.schemas()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DHN API",
            "version": "1",
            "summary": "Digital Health Network of Luxembourg, server side.",
            "description": f"{INTRODUCTION}\n{DIFFERENCES}",
        },
        "servers": [{"url": "/v1"}],
        "tags": _tags(),
        "paths": paths,
        "webhooks": {"event": _webhook(event)},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": ROLES},
            },
            "headers": {
                "RequestId": {
                    "description": (
                        "The caller's own `X-Request-Id` where it is 1 to 128 of `A-Z a-z 0-9 . _ : -`; "
                        "else a new one."
                    ),
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            },
            "parameters": {"IdempotencyKey": _idempotency_key()},
            "responses": {
                name: _problem(status, meaning, "ValidationProblem" if status == 422 else "Problem")
                for status, (name, meaning) in _PROBLEMS.items()
            },
            "schemas": schemas,
        },
    }


class _Models:
    """The models the document refers to, turned into its `components.schemas` at the end."""

    def __init__(self) -> None:
        self._wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
        for name in ("Problem", "ValidationProblem"):
            self.ref(_answer_model("chalicelib.api.answers.problems", name), "serialization")

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, str]:
        self._wanted[model, mode] = None
        return {"$ref": f"{SCHEMAS}{model.__name__}"}

    def schemas(self) -> dict[str, Any]:
        _, top = models_json_schema(list(self._wanted), ref_template=SCHEMAS + "{model}")
        found: dict[str, Any] = top.get("$defs", {})
        named = {model.__name__ for model, _ in self._wanted}
        if not named <= set(found):
            # pydantic renames a model it meets twice (`Invoice-Output`, or by module): a
            # reference written above would then point nowhere.
            raise LookupError(f"models without a name of their own: {sorted(named - set(found))}")
        return {name: _untitled(schema) for name, schema in sorted(found.items())}


def _operation(route: Route, models: _Models) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [_tag_name(route.blueprint)],
        "operationId": f"{_tag_name(route.blueprint).lower()}_{route.handler.__name__}",
        "summary": route.summary.removesuffix("."),
    }
    if route.description:
        operation["description"] = route.description
    if route.roles is None:
        operation["security"] = []
    else:
        # OpenAPI 3.1 lets a bearer requirement name roles; each role is one way in.
        operation["security"] = [{"bearer": [role]} for role in sorted(route.roles)]
    parameters = [*_path_parameters(route), *_query_parameters(route)]
    if route.idempotent:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if route.binary:
        parameters.append(_accept(route.binary))
    if route.alternative:
        parameters.append(_choice(route.alternative))
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": models.ref(route.body, "validation")}},
        }
    operation["responses"] = {str(route.status): _success(route, models), **_errors(route)}
    return operation


def _success(route: Route, models: _Models) -> dict[str, Any]:
    answer = _answer_model(route.answers, route.answer) if route.answer else None
    doc = (answer.__doc__ and inspect.getdoc(answer)) if answer else None
    meaning = doc.partition("\n\n")[0].replace("\n", " ") if doc else HTTPStatus(route.status).phrase
    headers: dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}
    content: dict[str, Any] = {}
    if answer:
        content[JSON] = {"schema": models.ref(answer, "serialization")}
    if route.alternative:
        content[route.alternative] = {"schema": _ALTERNATIVES[route.alternative]}
    if route.text:
        content[route.text] = {"schema": {"type": "string"}}
    if route.binary:
        content[route.binary] = {"schema": {"type": "string", "contentMediaType": route.binary}}
    if route.text or route.binary:
        headers["Content-Disposition"] = {
            "description": "The file name the answer is saved under.",
            "schema": {"type": "string"},
        }
    success: dict[str, Any] = {"description": meaning, "headers": headers}
    if content:
        success["content"] = content
    return success


def _errors(route: Route) -> dict[str, Any]:
    """The error answers a route may give: the edge's for what the route reads and who may
    call it, then those its rules add."""
    path_parameters = set(_PATH_PARAMETER.findall(route.path))
    statuses = set(route.errors)
    if route.body or route.idempotent:
        statuses.add(400)
    if route.body:
        statuses.add(415)
    if route.roles is not None:
        statuses |= {401, 403}
    if any(name.endswith("_id") for name in path_parameters):
        statuses.add(404)
    if route.binary:
        statuses.add(406)
    if route.idempotent:
        statuses.add(409)
    if route.body or route.query or route.idempotent or path_parameters & _CHECKED_PATH_PARAMETERS:
        statuses.add(422)
    answers: dict[str, Any] = {}
    for status in sorted(statuses):
        name, meaning = _PROBLEMS[status]
        rules = list(dict.fromkeys(_rules(route))) if status == 422 else []
        if rules:
            listed = "\n".join(f"- `{field}`: {rule}" for field, rule in rules)
            answers[str(status)] = _problem(
                status, f"{meaning} Beyond what the schema says:\n{listed}", "ValidationProblem"
            )
        else:
            answers[str(status)] = {"$ref": f"{RESPONSES}{name}"}
    return answers


def _rules(route: Route) -> Iterator[tuple[str, str]]:
    """Every input of the route whose schema names a rule beyond itself (`x-rule`)."""
    for parameter in [*_path_parameters(route), *_query_parameters(route)]:
        yield from _rules_in(parameter["schema"], parameter["name"], {})
    if route.body:
        _, top = models_json_schema([(route.body, "validation")], ref_template=SCHEMAS + "{model}")
        defs = top.get("$defs", {})
        yield from _rules_in(defs[route.body.__name__], "", defs)
    if route.idempotent:
        yield replay.HEADER, _idempotency_key()["schema"][fields.RULE]


def _rules_in(schema: dict[str, Any], name: str, defs: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if "$ref" in schema:
        schema = defs[schema["$ref"].removeprefix(SCHEMAS)]
    if fields.RULE in schema:
        yield name, schema[fields.RULE]
    for inner in schema.get("anyOf", []):
        yield from _rules_in(inner, name, defs)
    for key, inner in schema.get("properties", {}).items():
        yield from _rules_in(inner, f"{name}.{key}" if name else key, defs)
    if isinstance(schema.get("items"), dict):
        yield from _rules_in(schema["items"], f"{name}[]", defs)


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(name)}
        for name in _PATH_PARAMETER.findall(route.path)
    ]


def _path_schema(name: str) -> dict[str, Any]:
    from chalicelib.api.answers import common
    from chalicelib.domain.insurers import Insurer

    kinds: dict[str, Any] = {
        "invoice_id": common.InvoiceId,
        "claim_id": common.ClaimId,
        "appointment_id": common.AppointmentId,
        "document_id": common.DocumentId,
        "device_id": common.DeviceId,
        "endpoint_id": common.EndpointId,
        "delivery_id": common.DeliveryId,
        "patient_id": common.PatientId,
        "link_id": common.LinkId,
        "token_id": common.TokenId,
        "insurer": Insurer,
        "prescription_id": common.PrescriptionId,
        "certificate_id": common.CertificateId,
        "code": common.ShareCode,
    }
    if name == "asset":
        return {"type": "string", "minLength": 1}
    if name == "doctor_code":
        # In a path the code has no spaces to trim.
        return {"type": "string", "pattern": "^[0-9]{6}-?[0-9]{2}$", "examples": ["123456-78"]}
    schema: dict[str, Any] = _untitled(TypeAdapter(kinds[name]).json_schema())
    return schema


def _query_parameters(route: Route) -> list[dict[str, Any]]:
    if route.query is None:
        return []
    schema = route.query.model_json_schema(ref_template=SCHEMAS + "{model}")
    if "$defs" in schema:
        raise TypeError(f"{route.query.__name__}: a query parameter is a value, not an object")
    parameters = []
    for name, found in schema["properties"].items():
        prop = _present(_untitled(found))
        parameter: dict[str, Any] = {"name": name, "in": "query"}
        if name in schema.get("required", []):
            parameter["required"] = True
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _present(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a parameter is there or not, never null, so the model's
    `X | None = None` is just X."""
    branches = schema.get("anyOf", [])
    others = [branch for branch in branches if branch != {"type": "null"}]
    if len(others) == len(branches) - 1 == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **others[0]}
    if schema.get("default", ...) is None:
        del schema["default"]
    return schema


def _accept(media_type: str) -> dict[str, Any]:
    """The Accept header a binary answer needs, as `media.accepts` reads it."""
    # JSON Schema patterns take no flags: media types compare without regard to case.
    caseless = "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in media_type)
    return {
        "name": "Accept",
        "in": "header",
        "required": True,
        "description": (
            f"Must name `{media_type}` or `*/*`: API Gateway returns a binary body only then (else 406)."
        ),
        "schema": {
            "type": "string",
            "pattern": f"(^|,)[ \\t]*({caseless}|\\*/\\*)[ \\t]*(;|,|$)",
            "examples": [media_type],
        },
    }


def _choice(media_type: str) -> dict[str, Any]:
    """The Accept header that chooses a route's alternative answer, as `media.prefers` reads it."""
    return {
        "name": "Accept",
        "in": "header",
        "required": False,
        "description": (
            f"`{media_type}` (with a `q` no lower than `application/json`'s) answers {media_type} "
            "instead of JSON; anything else, `*/*` included, answers JSON."
        ),
        "schema": {"type": "string", "examples": [media_type]},
    }


def _idempotency_key() -> dict[str, Any]:
    return {
        "name": replay.HEADER,
        "in": "header",
        "description": (
            "Makes a creating request safe to retry for 24 h: the same key and body answer the first "
            "answer again (status and body). Keys are the caller's own."
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[\\x21-\\x7e]+$",
            fields.RULE: "sent again only with the same request (else 422); one still in progress is 409",
        },
    }


def _problem(status: int, meaning: str, schema: str) -> dict[str, Any]:
    return {
        "description": meaning,
        "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}},
        "content": {PROBLEM: {"schema": {"$ref": f"{SCHEMAS}{schema}"}}},
    }


def _webhook(event: dict[str, str]) -> dict[str, Any]:
    signature = {"required": True, "schema": {"type": "string"}}
    return {
        "post": {
            "summary": "An event delivered to a registered endpoint",
            "description": (
                "Signed per the Standard Webhooks specification: `webhook-signature` is `v1,` and the "
                "base64 HMAC-SHA256 of `webhook-id.webhook-timestamp.body` with the endpoint's secret. "
                "Only a 2xx counts; anything else is retried with exponential backoff and jitter for "
                "about three days, then kept in a dead-letter store, replayable."
            ),
            "security": [],
            "parameters": [
                {"name": "webhook-id", "in": "header", **signature},
                {"name": "webhook-timestamp", "in": "header", **signature},
                {"name": "webhook-signature", "in": "header", **signature},
            ],
            "requestBody": {"required": True, "content": {JSON: {"schema": event}}},
            "responses": {"2XX": {"description": "Received."}},
        }
    }


def _tags() -> list[dict[str, str]]:
    modules = sorted({route.blueprint for route in ROUTES}, key=_tag_name)
    return [
        {"name": _tag_name(module), "description": (sys.modules[module].__doc__ or "").strip()}
        for module in modules
    ]


def _tag_name(module: str) -> str:
    return module.rsplit(".", 1)[-1].capitalize()


def _answer_model(module: str, name: str) -> type[BaseModel]:
    model = getattr(importlib.import_module(module), name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise LookupError(f"{module} has no answer model {name!r}")
    return model


# JSON Schema keywords whose values are schemas, or maps or lists of schemas.
_SCHEMA_KEYWORDS = ("items", "additionalProperties", "not")
_SCHEMA_MAPS = ("properties", "$defs")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def _untitled(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without the titles pydantic makes from names (`"title": "Invoice Id"`): the
    name is already the key, and generated titles are noise in the published document."""
    cleaned = {key: value for key, value in schema.items() if key != "title"}
    for key in _SCHEMA_KEYWORDS:
        if isinstance(cleaned.get(key), dict):
            cleaned[key] = _untitled(cleaned[key])
    for key in _SCHEMA_MAPS:
        if key in cleaned:
            cleaned[key] = {name: _untitled(inner) for name, inner in cleaned[key].items()}
    for key in _SCHEMA_LISTS:
        if key in cleaned:
            cleaned[key] = [_untitled(inner) for inner in cleaned[key]]
    return cleaned


def published() -> str:
    """The document as `openapi.yaml` publishes it: YAML in the document's own order, prose
    as blocks of lines rather than one long quoted string."""
    import yaml  # a tool of the project's own, not of the Lambda functions

    def text(dumper: Any, value: str) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    # A dumper of its own, so the representer changes no one else's YAML; no anchors either,
    # as a reader of the contract should not have to follow them.
    dumper: Any = type("ContractDumper", (yaml.SafeDumper,), {"ignore_aliases": lambda *_: True})
    dumper.add_representer(str, text)
    return str(yaml.dump(document(), Dumper=dumper, sort_keys=False, allow_unicode=True, width=110))


def main() -> None:
    """Write `openapi.yaml` from the app's routes."""
    from pathlib import Path

    import app  # noqa: F401 (registers every route)

    target = Path(__file__).resolve().parents[2] / "openapi.yaml"
    target.write_text(published(), encoding="utf-8")


if __name__ == "__main__":
    main()
