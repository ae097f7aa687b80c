"""The API reference for people: Swagger UI at `GET /v1/docs`, drawn from the OpenAPI document
at `GET /v1/openapi.json`. Public, like the contract it shows.

Swagger UI's script and style sheet come from the swagger-ui-py package and are served here:
the page loads nothing from another host, and its Content-Security-Policy tells the browser
so. Every link is relative, so the page works under whatever prefix API Gateway puts in front
of `/v1` (a stage name, a custom domain's base path). Files are read on the first request that
needs them, never at import (the cold start), and kept for the life of the process.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.api.edge import Call, route
from chalicelib.api.edge.media import JSON
from chalicelib.core.errors import NotFound

bp = Blueprint(__name__)

# Text bodies, sent as str: API Gateway returns them as they are. None of these media types is
# a binary type (`app.api.binary_types`): those Chalice base64-encodes, and API Gateway decodes
# only for a request whose Accept header names them.
HTML = "text/html; charset=utf-8"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
# An asset's link carries a digest of its content, so a browser may keep what it fetched under
# that link for good: an upgraded Swagger UI comes with new links.
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# No validator: Swagger UI would otherwise send the document's URL to an online validator.
_START = (
    'SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null});'
)
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>DHN API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}"></script>
<script>{start}</script>
</body>
</html>
"""


@dataclass(frozen=True)
class Asset:
    text: str
    media_type: str
    digest: str

    def link(self, name: str) -> str:
        """Relative to `/v1/docs`."""
        return f"docs/{name}?v={self.digest}"


@functools.cache
def _asset(name: str) -> Asset:
    # Found, not imported: the package's own module loads Jinja2 and a handler for every web
    # framework it knows, none of which serving two files needs.
    from importlib.util import find_spec

    spec = find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("the swagger-ui-py package is not installed")
    text = (Path(spec.origin).parent / "static" / name).read_text(encoding="utf-8")
    return Asset(text, ASSETS[name], hashlib.sha256(text.encode()).hexdigest()[:16])


@functools.cache
def _page() -> tuple[str, str]:
    """The page, and the Content-Security-Policy that admits its one inline script."""
    css, js = "swagger-ui.css", "swagger-ui-bundle.js"
    html = _PAGE.format(css=_asset(css).link(css), js=_asset(js).link(js), start=_START)
    start_digest = base64.b64encode(hashlib.sha256(_START.encode()).digest()).decode()
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'sha256-{start_digest}'",
            # Swagger UI styles elements through the DOM, which needs no 'unsafe-inline'.
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return html, policy


@functools.cache
def _openapi_json() -> str:
    from chalicelib.api import contract

    return json.dumps(contract.document(), separators=(",", ":"))


@route(bp, "/docs", roles=None, text="text/html")
def page(call: Call) -> Response:
    """The API reference for people (Swagger UI), drawn from `/v1/openapi.json`."""
    html, policy = _page()
    headers = {"Content-Type": HTML, "Cache-Control": REVALIDATE, "Content-Security-Policy": policy}
    return Response(html, headers={**headers, **NOSNIFF})


def _served(name: str, call: Call) -> Response:
    found = _asset(name)
    # Only the link the page gives may be kept for good; any other may name an older version.
    caching = FOREVER if call.query.get("v") == found.digest else REVALIDATE
    return Response(
        found.text, headers={"Content-Type": found.media_type, "Cache-Control": caching, **NOSNIFF}
    )


@route(bp, "/docs/swagger-ui-bundle.js", roles=None, text="text/javascript")
def script(call: Call) -> Response:
    """The reference page's script (Swagger UI); `?v=` the digest its link carries."""
    return _served("swagger-ui-bundle.js", call)


@route(bp, "/docs/swagger-ui.css", roles=None, text="text/css")
def style(call: Call) -> Response:
    """The reference page's style sheet (Swagger UI); `?v=` the digest its link carries."""
    return _served("swagger-ui.css", call)


# The two files above take precedence over this path, in API Gateway as in `chalice local`.
@route(bp, "/docs/{asset}", roles=None, errors=(404,))
def other_asset(call: Call) -> Response:
    """Any other file name under `/docs`: the reference page has no other file."""
    raise NotFound("the reference page has no such file")


@route(bp, "/openapi.json", roles=None, answer="OpenApiDocument")
def openapi(call: Call) -> Response:
    """This contract, as an OpenAPI 3.1 document."""
    return Response(_openapi_json(), headers={"Content-Type": JSON, "Cache-Control": REVALIDATE, **NOSNIFF})
