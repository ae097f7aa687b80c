"""The one mapping of errors to problem+json (RFC 9457), for ours and for Chalice's own."""

from __future__ import annotations

import json
import traceback
from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from chalicelib.api.edge.media import PROBLEM
from chalicelib.core.errors import (
    DhnError,
    FieldError,
    MalformedRequest,
    MethodNotAllowed,
    Unavailable,
    Unprocessable,
    UnsupportedMediaType,
)
from chalicelib.core.observability import logger


def field_name(loc: tuple[int | str, ...]) -> str:
    """`("lines", 0, "code")` → `lines[0].code`."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def unprocessable(exc: ValidationError) -> Unprocessable:
    errors = [
        FieldError(field_name(err["loc"]), err["msg"].removeprefix("Value error, "))
        for err in exc.errors(include_url=False, include_input=False)
    ]
    return Unprocessable("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def problem(err: DhnError) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:dhn:problem:{err.slug}",
        "title": err.title,
        "status": err.status,
        "detail": err.detail,
    }
    if isinstance(err, Unprocessable):
        body["errors"] = [{"field": e.field, "message": e.message} for e in err.errors]
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM}
    if isinstance(err, Unavailable):
        headers["Retry-After"] = str(err.retry_after)
    return Response(json.dumps(body), headers=headers, status_code=err.status)


def failure(exc: Exception) -> Response:
    """A bug: a 500 that says only that it may be retried."""
    # Only the shape of the failure is logged: messages may carry personal data.
    logger().error(
        "unhandled error",
        extra={
            "error_type": type(exc).__name__,
            "frames": [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)],
        },
    )
    return problem(DhnError("the server failed to answer; the request can be retried"))


# The errors Chalice answers itself, before or after a handler runs.
_CHALICE_ERRORS: dict[int, type[DhnError]] = {
    400: MalformedRequest,
    405: MethodNotAllowed,
    415: UnsupportedMediaType,
}


def as_problem(response: Response) -> Response:
    """Chalice's own error answers (`{"Code", "Message"}`) as problem+json, like ours."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    kind = _CHALICE_ERRORS.get(response.status_code, DhnError)
    converted = problem(kind(str(body["Message"])))
    converted.headers = {**response.headers, **converted.headers}
    return converted
