"""Sessions (every caller): ending the token one calls with, and a machine rotating its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from chalice.app import Blueprint

from chalicelib.api.edge import Call, Reply, route
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.roles import ROTATING_ROLES, Role

if TYPE_CHECKING:
    from chalicelib.services.identity import IssuedToken

bp = Blueprint(__name__)

EVERY_ROLE: frozenset[Role] = frozenset(get_args(Role))


def issued_json(issued: IssuedToken) -> dict[str, str]:
    """A new token as every route that mints one answers it."""
    return {"token": issued.token, "token_id": issued.token_id, "expires_at": rfc3339(issued.expires_at)}


@route(bp, "/sessions/current", method="DELETE", roles=EVERY_ROLE, status=204)
def end(call: Call) -> Reply:
    """End the session: this token answers 401 from then on (a device's ends the device)."""
    from chalicelib.services import identity

    identity.end_session(call.me, clock.current())
    return Reply(None, 204)


# Not idempotent: a replay carries the token this rotation revoked, so it is a 401, and no
# answer holding the new token is kept for it.
@route(bp, "/sessions/rotate", method="POST", roles=ROTATING_ROLES, status=201, answer="Token")
def rotate(call: Call) -> dict[str, str]:
    """A new token with a full lifetime for a device or an insurer; the old one is 401 at once."""
    from chalicelib.services import identity

    return issued_json(identity.rotate(call.me, clock.current()))
