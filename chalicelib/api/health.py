"""Public routes: liveness and the keys that verify QR codes offline."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib import qr_keys
from chalicelib.api.http import Call, route

bp = Blueprint(__name__)


@route(bp, "/health", roles=None)
def health(call: Call) -> dict[str, str]:
    return {"status": "ok"}


@route(bp, "/.well-known/jwks.json", roles=None)
def jwks(call: Call) -> dict[str, list[dict[str, str]]]:
    return qr_keys.jwks()
