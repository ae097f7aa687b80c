"""Idempotency keys: a creating request runs at most once per key, and its first answer is
replayed to the same request again."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Request

from chalicelib.api.edge.calls import Call, Reply
from chalicelib.core import sealing
from chalicelib.core.errors import Unprocessable

if TYPE_CHECKING:
    from chalicelib.services.identity import Principal

HEADER = "Idempotency-Key"
# Visible ASCII: what a header carries unchanged through every proxy.
KEY = re.compile(r"[\x21-\x7e]{1,255}")


def _key(request: Request) -> str | None:
    key: str | None = request.headers.get(HEADER.lower())
    if key is None:
        return None
    if not KEY.fullmatch(key):
        raise Unprocessable.field(HEADER, "must be 1 to 255 visible ASCII characters")
    return key


def once(
    request: Request, caller: Principal | None, call: Call, run: Callable[[], Reply], context: Any
) -> Reply:
    """Run a creating request at most once per idempotency key: the same key and body give the
    first answer again, the same key with another body is a 422, a key in flight is a 409."""
    key = _key(request)
    if key is None:
        return run()
    from chalicelib.store import idempotency

    canonical = json.dumps(call.json(), sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    # A key is the caller's own. Anonymous callers (enrolment) share no credential, so their
    # keys are kept apart by the request itself: two PCs that pick the same key never collide.
    scope = f"{caller.scope}:{key}" if caller else f"public:{fingerprint}:{key}"

    def first() -> dict[str, Any]:
        reply = run()
        answer = {"status": reply.status, "body": reply.body, "headers": reply.headers}
        # Kept 24 h for the replay, and some answers carry a bearer token, a webhook secret or
        # personal data: the table holds them sealed, bound to the caller's key.
        return {"sealed": sealing.seal(json.dumps(answer), scope)}

    sealed = idempotency.once(scope, fingerprint, first, context)["sealed"]
    saved = json.loads(sealing.unseal(sealed, scope))
    return Reply(saved["body"], int(saved["status"]), dict(saved["headers"]))
