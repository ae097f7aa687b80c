"""What patients and doctors do with their webhook endpoints: register, list, delete, read
the delivery log, and ask for a delivery to be sent again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.core import config, ids, outbound, sealing
from chalicelib.core.clock import Clock
from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.domain import webhooks as rules
from chalicelib.domain.webhooks import Delivery, Endpoint
from chalicelib.services import webhook_delivery

if TYPE_CHECKING:
    from chalicelib.services.identity import Principal


@dataclass(frozen=True)
class Registered:
    endpoint: Endpoint
    # Shown to the owner in this answer only; what is stored is sealed.
    secret: str


def owner_of(caller: Principal) -> str:
    if caller.role == "patient" and caller.matricule:
        return rules.owner_key("patient", caller.matricule)
    if caller.role == "doctor" and caller.doctor_code:
        return rules.owner_key("doctor", caller.doctor_code)
    raise Forbidden("webhooks are for patients and doctors")


def _check_url(url: str) -> None:
    """Shape first, then every address the host resolves to now; the sender checks the
    addresses again at each attempt, as DNS may change in between."""
    allow_local = config.local_network_allowed()
    try:
        target = rules.check_url(url, allow_local)
        outbound.checked_address(target.host, target.port, allow_local)
    except ValueError as exc:
        raise Unprocessable.field("url", str(exc)) from exc
    except outbound.Blocked as exc:
        raise Unprocessable.field("url", str(exc)) from exc


def register(caller: Principal, url: str, events: list[str] | None, clock: Clock) -> Registered:
    from chalicelib.store import webhooks as store

    owner = owner_of(caller)
    _check_url(url)
    if len(store.endpoints_of(owner, rules.MAX_ENDPOINTS_PER_OWNER).items) >= rules.MAX_ENDPOINTS_PER_OWNER:
        raise Conflict(f"at most {rules.MAX_ENDPOINTS_PER_OWNER} endpoints; delete one first")
    now = clock.now()
    endpoint_id = ids.new_id("whk", now)
    secret = sealing.new_secret()
    endpoint = Endpoint(
        endpoint_id,
        owner=owner,
        url=url,
        events=tuple(sorted(set(events))) if events is not None else None,
        sealed_secret=sealing.seal(secret, endpoint_id),
        status=rules.ACTIVE,
        created_at=now,
    )
    store.save_endpoint(endpoint)
    return Registered(endpoint, secret)


def list_endpoints(caller: Principal, limit: int, cursor: dict[str, Any] | None) -> Page[Endpoint]:
    from chalicelib.store import webhooks as store

    return store.endpoints_of(owner_of(caller), limit, cursor)


def endpoint(caller: Principal, endpoint_id: str) -> Endpoint:
    """The caller's own endpoint; anyone else's is 'not found'."""
    from chalicelib.store import webhooks as store

    found = store.get_endpoint(endpoint_id) if ids.has_prefix(endpoint_id, "whk") else None
    if found is None or found.owner != owner_of(caller):
        raise NotFound("no such webhook endpoint")
    return found


def delete(caller: Principal, endpoint_id: str) -> None:
    """Deliveries still owed to it are cancelled when their turn comes."""
    from chalicelib.store import webhooks as store

    store.delete_endpoint(endpoint(caller, endpoint_id).endpoint_id)


def deliveries(
    caller: Principal, endpoint_id: str, state: str | None, limit: int, cursor: dict[str, Any] | None
) -> Page[Delivery]:
    from chalicelib.store import webhooks as store

    return store.deliveries_of(endpoint(caller, endpoint_id).endpoint_id, state, limit, cursor)


def retry(caller: Principal, endpoint_id: str, delivery_id: str, clock: Clock) -> Delivery:
    """Send a delivery again now. A pending one is tried at once and keeps its schedule; a
    dead, delivered or cancelled one gets one more attempt (same `webhook-id`), and its
    event is kept as long again as at its dispatch."""
    from chalicelib.store import outbox, queues
    from chalicelib.store import webhooks as store

    owned = endpoint(caller, endpoint_id)
    found = store.get_delivery(owned.endpoint_id, delivery_id) if ids.has_prefix(delivery_id, "dlv") else None
    if found is None:
        raise NotFound("no such delivery")
    if owned.status != rules.ACTIVE:
        raise Conflict("the endpoint is disabled; register it again to receive events")
    now = clock.now()
    final = found.final_attempt if found.state == rules.PENDING else found.attempts + 1
    reopened = store.reopen(found, final, now, now + webhook_delivery.GRACE)
    if reopened is None:
        raise Conflict("the delivery is being attempted right now; try again in a moment")
    outbox.keep_until(reopened.event_id, now + rules.EVENT_KEPT)
    queues.send(webhook_delivery.QUEUE, [webhook_delivery.message(reopened)])
    return reopened
