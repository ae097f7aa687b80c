"""Who may call a route: the role sets routes name, and the authentication of the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core import clock
from chalicelib.core.errors import Forbidden

if TYPE_CHECKING:
    from chalice.app import Request

    from chalicelib.domain.roles import Role
    from chalicelib.services.identity import Principal

PRACTICE: frozenset[Role] = frozenset({"doctor", "assistant"})
DOCTOR: frozenset[Role] = frozenset({"doctor"})
OPERATOR: frozenset[Role] = frozenset({"operator"})
PATIENT: frozenset[Role] = frozenset({"patient"})
INSURER: frozenset[Role] = frozenset({"insurer"})
PHARMACIST: frozenset[Role] = frozenset({"pharmacist"})


def authorise(request: Request, roles: frozenset[Role] | None) -> Principal | None:
    """The caller, where it holds one of `roles` (401 without a valid token, 403 with another
    role); None on a public route (`roles=None`), which reads no token at all."""
    if roles is None:
        return None
    from chalicelib.services import identity

    caller = identity.authenticate(request.headers.get("authorization"), clock.current())
    if caller.role not in roles:
        raise Forbidden(f"this route is for: {', '.join(sorted(roles))}")
    return caller
