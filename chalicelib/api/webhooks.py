"""Webhook endpoints of patients' apps and practice software, and their delivery logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import DOCTOR, PATIENT, Call, Reply, route
from chalicelib.api.fields import Body, ListQuery, rule
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none
from chalicelib.domain.webhook_terms import MAX_URL_LENGTH, EventType

if TYPE_CHECKING:
    from chalicelib.domain.webhooks import Delivery, Endpoint

bp = Blueprint(__name__)
OWNERS = PATIENT | DOCTOR


# An absolute http(s) URL of RFC 3986 with a host name or an IPv4 address, a port, a path and
# a query; no credentials and no fragment. Checked before any DNS lookup, so a malformed host
# is never sent to a resolver.
_CHARACTER = "([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
URL_PATTERN = f"^https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?(/({_CHARACTER}|/)*)?([?]({_CHARACTER}|[/?])*)?$"


class NewEndpoint(Body):
    url: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_URL_LENGTH,
            pattern=URL_PATTERN,
            json_schema_extra={
                "format": "uri",
                **rule(
                    "https, on a host whose every address is public "
                    "(plain http and loopback only on a laptop)"
                ),
            },
            examples=["https://pms.example.lu/hooks/dhn"],
        ),
    ]
    events: Annotated[
        list[EventType] | None, Field(min_length=1, max_length=20, description="Every event where absent.")
    ] = None


class DeliveryQuery(ListQuery):
    status: Literal["pending", "delivered", "dead", "cancelled"] | None = None


def endpoint_json(endpoint: Endpoint) -> dict[str, object]:
    return {
        "id": endpoint.endpoint_id,
        "url": endpoint.url,
        "events": None if endpoint.events is None else list(endpoint.events),
        "status": endpoint.status,
        "created_at": rfc3339(endpoint.created_at),
        "disabled_at": rfc3339_or_none(endpoint.disabled_at),
        "disabled_reason": endpoint.disabled_reason,
    }


def delivery_json(delivery: Delivery) -> dict[str, object]:
    return {
        "id": delivery.delivery_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.state,
        "created_at": rfc3339(delivery.created_at),
        "attempt_count": delivery.attempts,
        "last_attempt_at": rfc3339_or_none(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "next_attempt_at": rfc3339_or_none(delivery.next_attempt_at),
        "finished_at": rfc3339_or_none(delivery.finished_at),
        "reason": delivery.reason,
        "attempts": [
            {
                "at": rfc3339(a.at),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in delivery.history
        ],
    }


@route(
    bp,
    "/webhooks",
    method="POST",
    roles=OWNERS,
    status=201,
    body=NewEndpoint,
    answer="NewWebhook",
    idempotent=True,
    errors=(409,),
)
def register(call: Call) -> dict[str, object]:
    """Register an endpoint (patient or doctor).

    At most 10 endpoints per owner: an eleventh is 409.
    """
    from chalicelib.services import webhook_endpoints

    body = call.body(NewEndpoint)
    made = webhook_endpoints.register(
        call.me, body.url, list(body.events) if body.events else None, clock.current()
    )
    return {**endpoint_json(made.endpoint), "secret": made.secret}


@route(bp, "/webhooks", roles=OWNERS, query=ListQuery, answer="WebhookPage")
def list_endpoints(call: Call) -> dict[str, object]:
    """The caller's endpoints, without their secrets."""
    from chalicelib.services import webhook_endpoints

    query = call.args(ListQuery)
    page = webhook_endpoints.list_endpoints(call.me, query.limit, query.cursor)
    return {"items": [endpoint_json(e) for e in page.items], "next_cursor": page.next_cursor}


@route(bp, "/webhooks/{endpoint_id}", method="DELETE", roles=OWNERS, status=204)
def delete_endpoint(call: Call) -> Reply:
    """Remove an endpoint; deliveries still owed to it are cancelled."""
    from chalicelib.services import webhook_endpoints

    webhook_endpoints.delete(call.me, call.params["endpoint_id"])
    return Reply(None, 204)


@route(bp, "/webhooks/{endpoint_id}/deliveries", roles=OWNERS, query=DeliveryQuery, answer="DeliveryPage")
def list_deliveries(call: Call) -> dict[str, object]:
    """Newest first. With `status=` a page reads a bounded number of deliveries, so it may
    hold fewer than `limit`, or none, with a `next_cursor` that resumes right after the last
    delivery read. A list ends when `next_cursor` is null, never at a short page."""
    from chalicelib.services import webhook_endpoints

    query = call.args(DeliveryQuery)
    page = webhook_endpoints.deliveries(
        call.me, call.params["endpoint_id"], query.status, query.limit, query.cursor
    )
    return {"items": [delivery_json(d) for d in page.items], "next_cursor": page.next_cursor}


@route(
    bp,
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
    method="POST",
    roles=OWNERS,
    status=202,
    answer="Delivery",
    errors=(409,),
)
def retry(call: Call) -> dict[str, object]:
    """Send a delivery again now, also from the dead-letter store.

    A disabled endpoint, or a delivery being attempted right now, is 409.
    """
    from chalicelib.services import webhook_endpoints

    found = webhook_endpoints.retry(
        call.me, call.params["endpoint_id"], call.params["delivery_id"], clock.current()
    )
    return delivery_json(found)
