"""Sessions (every caller): ending the token one calls with, and a machine rotating its own."""

from __future__ import annotations

from typing import get_args

from chalice.app import Blueprint

from chalicelib.api.http import Call, Reply, route
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.identity import ROTATING_ROLES
from chalicelib.services import identity
from chalicelib.services.identity import IssuedToken, Role

bp = Blueprint(__name__)

EVERY_ROLE: frozenset[Role] = frozenset(get_args(Role))


def issued_json(issued: IssuedToken) -> dict[str, str]:
    """A new token as every route that mints one answers it."""
    return {"token": issued.token, "token_id": issued.token_id, "expires_at": rfc3339(issued.expires_at)}


@route(bp, "/sessions/current", method="DELETE", roles=EVERY_ROLE)
def end(call: Call) -> Reply:
    identity.end_session(call.me, clock.current())
    return Reply(None, 204)


# Not idempotent: a replay carries the token this rotation revoked, so it is a 401, and no
# answer holding the new token is kept for it.
@route(bp, "/sessions/rotate", method="POST", roles=ROTATING_ROLES, status=201)
def rotate(call: Call) -> dict[str, str]:
    return issued_json(identity.rotate(call.me, clock.current()))
