"""The request id every answer and every log line of a request carries."""

from __future__ import annotations

import re
import uuid

from chalice.app import Request

# What the contract promises to echo: short, and safe in a header and a log line.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(request: Request) -> str:
    """The caller's X-Request-Id when it is sane, else API Gateway's id, else a new one."""
    given: str | None = request.headers.get("x-request-id")
    if given and REQUEST_ID.fullmatch(given):
        return given
    context_id = (request.context or {}).get("requestId")
    return str(context_id) if context_id else str(uuid.uuid4())
