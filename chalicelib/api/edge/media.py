"""Media types: what the edge reads and writes, and whether a caller accepts an answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalice.app import Request, Response

JSON = "application/json"
PROBLEM = "application/problem+json"
# FHIR R4's JSON, which some answers give instead of their JSON when asked (`prefers`).
FHIR_JSON = "application/fhir+json"
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


def _weights(request: Request) -> dict[str, float]:
    """Each media range the Accept header names, with its `q` (1 where absent or unreadable)."""
    weights: dict[str, float] = {}
    for part in (request.headers.get("accept") or "").split(","):
        name, *params = (piece.strip(" \t") for piece in part.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip(" \t").lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 1.0
        if name:
            weights[name.lower()] = max(weight, weights.get(name.lower(), 0.0))
    return weights


def prefers(request: Request, media_type: str) -> bool:
    """Whether the caller asks for `media_type` rather than JSON: the Accept header names it
    (a wildcard does not count, so `*/*` keeps JSON) with a weight no lower than JSON's."""
    weights = _weights(request)
    wanted = weights.get(media_type, 0.0)
    return wanted > 0 and wanted >= weights.get(JSON, 0.0)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None
) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        headers={"Content-Type": JSON, **(headers or {})},
        status_code=status,
    )
