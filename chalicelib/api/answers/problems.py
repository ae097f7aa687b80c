"""Error answers: problem details (RFC 9457)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import Answer


class Problem(Answer):
    """What went wrong, never a stack trace."""

    type: Annotated[str, Field(pattern="^urn:dhn:problem:[a-z-]+$", examples=["urn:dhn:problem:not-found"])]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str


class FieldProblem(Answer):
    field: Annotated[
        str,
        Field(
            description="The input at fault: a body field as a path, a query or path parameter, or a header.",
            examples=["lines[0].code", "payment.amount_cents", "cursor", "Idempotency-Key"],
        ),
    ]
    message: str


class ValidationProblem(Problem):
    """A 422: every field at fault."""

    errors: Annotated[list[FieldProblem], Field(min_length=1)]
