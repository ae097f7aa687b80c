"""One request as a handler sees it, with its body and query parsed by the route's models,
and the reply a handler may give instead of a plain JSON value."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.api.edge.problems import unprocessable
from chalicelib.core.errors import MalformedRequest, Unauthenticated, Unprocessable

if TYPE_CHECKING:
    from chalicelib.domain.idempotency import Once
    from chalicelib.services.identity import Principal

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Reply:
    """A JSON answer with a status other than 200, or extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it. `body_model` and `query_model` are the models its
    route declares: the contract documents those, so a handler reads no others. `once` is
    the Idempotency-Key of a creating request, for the transaction that makes its object
    (`chalicelib.api.edge.replay.made_once`)."""

    caller: Principal | None
    params: Mapping[str, str]
    query: Mapping[str, str]
    raw_body: bytes
    body_model: type[BaseModel] | None = None
    query_model: type[BaseModel] | None = None
    once: Once | None = None
    # The route's alternative media type where the caller prefers it to JSON, else None.
    media: str | None = None

    @property
    def me(self) -> Principal:
        if self.caller is None:
            raise Unauthenticated()
        return self.caller

    def json(self) -> Any:
        if not self.raw_body.strip():
            return {}
        try:
            return json.loads(self.raw_body, parse_float=_number)
        # RecursionError: the parser recurses once per nesting level, and `[` × 100000 runs out.
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedRequest("the body is not valid JSON") from exc

    def body(self, model: type[B]) -> B:
        _declared(model, self.body_model, "body")
        parsed = self.json()
        if not isinstance(parsed, dict):
            raise Unprocessable.field("body", "must be a JSON object")
        try:
            # Strict: a string is not an amount, and a float never becomes cents.
            return model.model_validate_json(json.dumps(parsed), strict=True)
        except ValidationError as exc:
            raise unprocessable(exc) from exc

    def args(self, model: type[B]) -> B:
        _declared(model, self.query_model, "query")
        try:
            # Strict as well: each field's type reads its own text (`limit=20`, `to=2026-11-23`),
            # so `limit=1.0` or `to=0` is refused rather than read as 1 or as 1 January 1970.
            return model.model_validate(dict(self.query), strict=True)
        except ValidationError as exc:
            raise unprocessable(exc) from exc


def _number(text: str) -> float | int:
    """JSON has one kind of number: `54.0` is the integer 54, as JSON Schema reads it, where
    Python would make it a float that strict parsing refuses for an integer field. A number
    with a fraction stays a float, which no integer field (cents among them) takes."""
    value = float(text)
    return int(value) if value.is_integer() else value


def _declared(model: type[BaseModel], declared: type[BaseModel] | None, part: str) -> None:
    """A handler reading other input than its route declares is a bug: the contract would
    document one model while the server parses another."""
    if model is not declared:
        name = declared.__name__ if declared else None
        raise TypeError(f"the handler reads its {part} as {model.__name__}; its route declares {name}")
