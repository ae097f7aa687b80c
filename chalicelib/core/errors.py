"""The one error hierarchy of DHN.

Every layer raises these; `chalicelib.api.edge.problems` maps them to problem+json (RFC 9457)
in one place. Messages are safe to show to the caller: they never carry personal data or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid input field, named as a dotted path (`lines.0.code`)."""

    field: str
    message: str


class DhnError(Exception):
    """Base of every error that reaches a caller as problem+json."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class MalformedRequest(DhnError):
    status, slug, title = 400, "malformed-request", "Malformed request"


class Unauthenticated(DhnError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(DhnError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(DhnError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(DhnError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class NotAcceptable(DhnError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class UnsupportedMediaType(DhnError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Conflict(DhnError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class Unprocessable(DhnError):
    """422: the request is well-formed but breaks a rule; `errors` names the fields."""

    status, slug, title = 422, "validation-failed", "Validation failed"

    def __init__(self, detail: str | None = None, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> Unprocessable:
        """The common case: one field breaks one rule."""
        return cls(f"{field}: {message}", [FieldError(field, message)])


class Unavailable(DhnError):
    """503: a service DHN depends on failed to answer and nothing was written; the request
    may be sent again after `retry_after` seconds (the answer's Retry-After)."""

    status, slug, title = 503, "unavailable", "Temporarily unavailable"
    retry_after = 1
