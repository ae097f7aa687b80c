"""The HTTP edge shared by every route: authentication and roles, request parsing with
pydantic, idempotency keys, and the one mapping of errors to problem+json (RFC 9457)."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.core import clock, sealing
from chalicelib.core.errors import (
    DhnError,
    FieldError,
    Forbidden,
    MalformedRequest,
    MethodNotAllowed,
    NotAcceptable,
    Unauthenticated,
    Unprocessable,
    UnsupportedMediaType,
)
from chalicelib.core.observability import logger
from chalicelib.services import identity
from chalicelib.services.identity import Principal, Role

JSON = "application/json"
PROBLEM = "application/problem+json"
PRACTICE: frozenset[Role] = frozenset({"doctor", "assistant"})
DOCTOR: frozenset[Role] = frozenset({"doctor"})
OPERATOR: frozenset[Role] = frozenset({"operator"})
PATIENT: frozenset[Role] = frozenset({"patient"})
INSURER: frozenset[Role] = frozenset({"insurer"})

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

B = TypeVar("B", bound=BaseModel)

# The request being served by this thread. Chalice keeps the current request on the app
# object, which `chalice local` shares between the threads that serve requests in parallel:
# a handler reading it there could see another caller's token and body.
_serving: ContextVar[Request | None] = ContextVar("serving", default=None)


@dataclass(frozen=True)
class Reply:
    """A JSON answer with a status other than 200, or extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    caller: Principal | None
    params: Mapping[str, str]
    query: Mapping[str, str]
    raw_body: bytes

    @property
    def me(self) -> Principal:
        if self.caller is None:
            raise Unauthenticated()
        return self.caller

    def json(self) -> Any:
        if not self.raw_body.strip():
            return {}
        try:
            return json.loads(self.raw_body)
        # RecursionError: the parser recurses once per nesting level, and `[` × 100000 runs out.
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedRequest("the body is not valid JSON") from exc

    def body(self, model: type[B]) -> B:
        parsed = self.json()
        if not isinstance(parsed, dict):
            raise Unprocessable.field("body", "must be a JSON object")
        try:
            # Strict: a string is not an amount, and a float never becomes cents.
            return model.model_validate_json(json.dumps(parsed), strict=True)
        except ValidationError as exc:
            raise _unprocessable(exc) from exc

    def args(self, model: type[B]) -> B:
        try:
            return model.model_validate(dict(self.query))
        except ValidationError as exc:
            raise _unprocessable(exc) from exc


def field_name(loc: tuple[int | str, ...]) -> str:
    """`("lines", 0, "code")` → `lines[0].code`."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _unprocessable(exc: ValidationError) -> Unprocessable:
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
    return Response(json.dumps(body), headers={"Content-Type": PROBLEM}, status_code=err.status)


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


def _accepts(request: Request, media_type: str) -> bool:
    """Whether the Accept header names `media_type` or `*/*`. API Gateway returns a binary
    body only to such a request (Chalice refuses any other with a bare 400), so a missing
    Accept header, or `application/*`, does not admit one."""
    accept: str = request.headers.get("accept") or ""
    ranges = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(ranges & {"*/*", media_type})


def _json(body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        headers={"Content-Type": JSON, **(headers or {})},
        status_code=status,
    )


def _as_reply(result: Any, status: int) -> Reply:
    return result if isinstance(result, Reply) else Reply(result, status)


def _authorise(request: Request, roles: frozenset[Role] | None) -> Principal | None:
    if roles is None:
        return None
    caller = identity.authenticate(request.headers.get("authorization"), clock.current())
    if caller.role not in roles:
        raise Forbidden(f"this route is for: {', '.join(sorted(roles))}")
    return caller


def _idempotency_key(request: Request) -> str | None:
    key: str | None = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise Unprocessable.field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
    return key


def _once(
    request: Request, caller: Principal | None, call: Call, run: Callable[[], Reply], context: Any
) -> Reply:
    """Run a creating request at most once per idempotency key: the same key and body give the
    first answer again, the same key with another body is a 422, a key in flight is a 409."""
    key = _idempotency_key(request)
    if key is None:
        return run()
    from chalicelib.store import idempotency

    canonical = json.dumps(call.json(), sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    # A key is the caller's own. Anonymous callers (enrolment) share no credential, so their
    # keys are kept apart by the request itself: two PCs that pick the same key never collide.
    scope = f"{caller.scope}:{key}" if caller else f"public:{fingerprint}:{key}"

    def first() -> dict[str, Any]:
        reply = run()
        answer = {"status": reply.status, "body": reply.body, "headers": reply.headers}
        # Kept 24 h for the replay, and some answers carry a bearer token, a webhook secret or
        # personal data: the table holds them sealed, bound to the caller's key.
        return {"sealed": sealing.seal(json.dumps(answer), scope)}

    sealed = idempotency.once(scope, fingerprint, first, context)["sealed"]
    saved = json.loads(sealing.unseal(sealed, scope))
    return Reply(saved["body"], int(saved["status"]), dict(saved["headers"]))


def serving(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Answer `request` with the handlers reading this very request (HTTP middleware)."""
    token = _serving.set(request)
    try:
        return get_response(request)
    finally:
        _serving.reset(token)


def route(
    bp: Blueprint,
    path: str,
    *,
    method: str = "GET",
    roles: frozenset[Role] | None,
    status: int = 200,
    idempotent: bool = False,
    binary: str | None = None,
) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    """Register `handler` on `bp`. `roles=None` makes the route public. A handler returns a
    JSON-able value (sent with `status`), a `Reply`, or a chalice `Response` for other media;
    `binary` names the media type of a binary answer, which the caller must accept (406)."""

    def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
        @functools.wraps(handler)
        def view(**params: str) -> Response:
            request = _serving.get() or bp.current_request
            try:
                caller = _authorise(request, roles)
                if binary and not _accepts(request, binary):
                    raise NotAcceptable(f"this answer is {binary}: send Accept: {binary}")
                raw = request.raw_body or b""
                call = Call(
                    caller,
                    params,
                    request.query_params or {},
                    raw if isinstance(raw, bytes) else raw.encode(),
                )

                def run() -> Reply:
                    return _as_reply(handler(call), status)

                if idempotent:
                    reply = _once(request, caller, call, run, bp.lambda_context)
                else:
                    result = handler(call)
                    if isinstance(result, Response):
                        return result
                    reply = _as_reply(result, status)
                if reply.status == 204:
                    return Response("", headers=reply.headers, status_code=204)
                return _json(reply.body, reply.status, reply.headers)
            except DhnError as err:
                return problem(err)
            except Exception as exc:
                # Only the shape of the failure is logged: messages may carry personal data.
                logger().error(
                    "unhandled error",
                    extra={
                        "error_type": type(exc).__name__,
                        "frames": [
                            f"{f.filename}:{f.lineno} {f.name}"
                            for f in traceback.extract_tb(exc.__traceback__)
                        ],
                    },
                )
                return problem(DhnError("the server failed to answer; the request can be retried"))

        bp.route(path, methods=[method], content_types=[JSON, "application/*+json", "text/plain"])(view)
        return handler

    return register


def request_id(request: Request) -> str:
    """The caller's X-Request-Id when it is sane, else API Gateway's id, else a new one."""
    given: str | None = request.headers.get("x-request-id")
    if given and _REQUEST_ID.fullmatch(given):
        return given
    context_id = (request.context or {}).get("requestId")
    return str(context_id) if context_id else str(uuid.uuid4())
