"""Idempotency keys: a creating request runs at most once per key, and its first answer is
replayed to the same request again.

A route that names `replay=` makes an object in one transaction, and its key's record
commits in that same transaction (`made_once`): a crash at any point leaves either both or
neither, so a retry is answered from the object made, or runs again as if for the first
time. The interface, for a new creating route:

- the route passes `replay=`, a function `(call, object_id) -> answer` that rebuilds the
  route's answer from the object the first request made;
- its handler hands `call.once` (None without a key) to its service, which hands it to the
  store whose transaction makes the object; that store writes through
  `store.idempotency.transact` (or `refusals`) with `domain.idempotency.made(once, id)`.

A step on an object that exists (a pharmacy's dispense, close or reject, an employer share)
joins the same way, with one difference: its answer cannot always be rebuilt from what is
stored later (a share's code is kept only hashed, and later steps change the prescription a
dispense answered). Its store puts `store.idempotency.sealed(once, answer, object_id)`
instead: the record carries what the answer is made of, sealed and bound to the object the
path names, and `replay` gets that as its second argument and opens it
(`store.idempotency.unsealed`) rather than reading the object again.

Other routes with a key are recorded around their handler (`once`): their first answer is
saved, sealed, after the handler returns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Request

from chalicelib.api.edge.calls import Call, Reply
from chalicelib.core import clock, sealing
from chalicelib.core.errors import DhnError, Unprocessable

if TYPE_CHECKING:
    from chalicelib.domain.idempotency import Made, Once
    from chalicelib.services.identity import Principal

Replay = Callable[[Call, str], Any]

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

    scope, fingerprint = _scope(request, caller, call, key)

    def first() -> dict[str, Any]:
        reply = run()
        answer = {"status": reply.status, "body": reply.body, "headers": reply.headers}
        # Kept 24 h for the replay, and some answers carry a bearer token, a webhook secret or
        # personal data: the table holds them sealed, bound to the caller's key.
        return {"sealed": sealing.seal(json.dumps(answer), scope)}

    sealed = idempotency.once(scope, fingerprint, first, context)["sealed"]
    saved = json.loads(sealing.unseal(sealed, scope))
    return Reply(saved["body"], int(saved["status"]), dict(saved["headers"]))


def _scope(request: Request, caller: Principal | None, call: Call, key: str) -> tuple[str, str]:
    """Whose key it is, and the fingerprint of the request (method, path, query and body)."""
    canonical = json.dumps(call.json(), sort_keys=True, separators=(",", ":"))
    # The query names whom a request is for (`for=`): the same key for another patient is
    # another request. Left out when empty, so fingerprints of requests without one stay.
    target = f"{request.path}?{urlencode(sorted(call.query.items()))}" if call.query else request.path
    fingerprint = hashlib.sha256(f"{request.method} {target}\n{canonical}".encode()).hexdigest()
    # A key is the caller's own. Anonymous callers (enrolment) share no credential, so their
    # keys are kept apart by the request itself: two PCs that pick the same key never collide.
    scope = f"{caller.scope}:{key}" if caller else f"public:{fingerprint}:{key}"
    return scope, fingerprint


def made_once(
    request: Request,
    caller: Principal | None,
    call: Call,
    run: Callable[[Call], Reply],
    replay: Replay,
    status: int,
    *,
    first: bool = False,
) -> Reply:
    """Run a creating request whose transaction commits its key's record with the object it
    makes. A request that fails while its key has a record (the retry of one that committed
    and then crashed, or the twin of one that committed first) is answered from that record:
    the first request's answer rebuilt from the object it made, with its status, or 422
    where the key was used with another request. Looking the key up only on a failure costs
    the first request no read: a retry fails anyway, at the latest on its record's
    condition. A step whose handler journals a read before its transaction looks it up
    `first`, so that a retry is answered without journaling a second step."""
    key = _key(request)
    if key is None:
        return run(call)
    from chalicelib.domain import idempotency as rules

    scope, fingerprint = _scope(request, caller, call, key)
    # The record's id says nothing of the caller or the key.
    once = rules.Once(
        f"made#{hashlib.sha256(scope.encode()).hexdigest()}", fingerprint, clock.current().now()
    )
    keyed = replace(call, once=once)
    if first and (saved := _saved(once)) is not None:
        return _replayed(keyed, saved, fingerprint, replay, status)
    try:
        return run(keyed)
    except DhnError as failed:
        saved = _saved(once)
        if saved is None:
            raise
        return _replayed(keyed, saved, fingerprint, replay, status, failed)


def _saved(once: Once) -> Made | None:
    """The record of `once`'s key while it answers for it."""
    from chalicelib.domain import idempotency as rules
    from chalicelib.store import idempotency

    return rules.answers(idempotency.find(once.record_id), once.at)


def _replayed(
    call: Call, saved: Made, fingerprint: str, replay: Replay, status: int, failed: DhnError | None = None
) -> Reply:
    """The first answer of the request that made `saved`, or 422 for another request."""
    if saved.fingerprint != fingerprint:
        raise Unprocessable.field(HEADER, "was already used with another request") from failed
    return Reply(replay(call, saved.made), status)
