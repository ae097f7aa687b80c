"""Public routes: liveness and the keys that verify QR codes offline."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.edge import Call, route

bp = Blueprint(__name__)


@route(bp, "/health", roles=None, answer="Health")
def health(call: Call) -> dict[str, str]:
    """Liveness, without authentication."""
    return {"status": "ok"}


@route(bp, "/.well-known/jwks.json", roles=None, answer="Jwks")
def jwks(call: Call) -> dict[str, list[dict[str, str]]]:
    """The public keys that verify QR tokens offline."""
    from chalicelib.core import signing_keys

    return signing_keys.jwks()
