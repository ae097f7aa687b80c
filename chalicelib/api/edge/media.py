"""Media types: what the edge reads and writes, and whether a caller accepts an answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalice.app import Request, Response

JSON = "application/json"
PROBLEM = "application/problem+json"
# Bodies are JSON whatever the label: some HTTP clients send `text/plain` for a string body.
READABLE = [JSON, "application/*+json", "text/plain"]


def accepts(request: Request, media_type: str) -> bool:
    """Whether the Accept header names `media_type` or `*/*`. API Gateway returns a binary
    body only to such a request (Chalice refuses any other with a bare 400), so a missing
    Accept header, or `application/*`, does not admit one."""
    accept: str = request.headers.get("accept") or ""
    # HTTP's own white space only (space and tab), as the contract's pattern for it says.
    ranges = {part.split(";")[0].strip(" \t").lower() for part in accept.split(",")}
    return bool(ranges & {"*/*", media_type})


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        headers={"Content-Type": JSON, **(headers or {})},
        status_code=status,
    )
