"""Webhook endpoints and the delivery log, read and written as the records of
`domain.webhooks`.

While a delivery still owes an attempt it sits in the sparse `due` index under the instant by
which that attempt must have started (its `due_at`); the re-enqueue job reads only that index.
Once settled (delivered, dead or cancelled) it carries `expires_at`, by which DynamoDB's TTL
deletes it; a replay takes that away again.
Every change to a delivery is conditional on the delivery being as the caller read it, and
gives back the delivery as it now is, or None when another sender or a replay got there first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.cursor import Page
from chalicelib.domain.webhooks import ACTIVE, DISABLED, KEPT_SETTLED, PENDING, Attempt, Delivery, Endpoint
from chalicelib.store.base import TableMeta, filtered_page, named, page_of, resume

# The value of `due` on every delivery in the index: one partition, read in `due_at` order.
DUE = "due"
# The delivery log keeps the latest attempts of each delivery, enough for the whole schedule.
KEEP_ATTEMPTS = 20


class ByOwner(GlobalSecondaryIndex["WebhookEndpoint"]):
    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)


class WebhookEndpoint(Model):
    class Meta(TableMeta):
        table_name = named("webhooks")

    endpoint_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute, null=True)
    sealed_secret = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    disabled_at = UTCDateTimeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    by_owner = ByOwner()


class AttemptMap(MapAttribute[str, Any]):
    at = UTCDateTimeAttribute()
    status_code = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute()


class DueDeliveries(GlobalSecondaryIndex["WebhookDelivery"]):
    """Sparse: only deliveries that owe an attempt carry `due`."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class WebhookDelivery(Model):
    class Meta(TableMeta):
        table_name = named("webhook-deliveries")

    endpoint_id = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    state = UnicodeAttribute()
    attempts = NumberAttribute()
    final_attempt = NumberAttribute()
    next_attempt_at = UTCDateTimeAttribute(null=True)
    last_attempt_at = UTCDateTimeAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    history = ListAttribute(of=AttemptMap)
    due = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    due_index = DueDeliveries()
    expires_at = TTLAttribute(null=True)


def _optional_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _conditional(item: Model, actions: list[Action], condition: Condition) -> bool:
    """Apply an update only if `condition` holds; False when it did not. On success PynamoDB
    has read the whole item back into `item`."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# Endpoints.


def _endpoint(item: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        item.endpoint_id,
        owner=item.owner,
        url=item.url,
        events=None if item.events is None else tuple(str(e) for e in item.events),
        sealed_secret=item.sealed_secret,
        status=item.status,
        created_at=item.created_at,
        disabled_at=item.disabled_at,
        disabled_reason=item.disabled_reason,
    )


def save_endpoint(endpoint: Endpoint) -> None:
    item = WebhookEndpoint(
        **{**vars(endpoint), "events": None if endpoint.events is None else list(endpoint.events)}
    )
    item.save(condition=WebhookEndpoint.endpoint_id.does_not_exist())


def get_endpoint(endpoint_id: str) -> Endpoint | None:
    try:
        return _endpoint(WebhookEndpoint.get(endpoint_id))
    except DoesNotExist:
        return None


def endpoints_of(owner: str, limit: int, start: dict[str, Any] | None = None) -> Page[Endpoint]:
    """The owner key names a patient's matricule: it is kept out of the cursor."""
    private = ("owner",)
    start = resume(start, WebhookEndpoint, WebhookEndpoint.by_owner, private=private, owner=owner)
    results = WebhookEndpoint.by_owner.query(owner, limit=limit, last_evaluated_key=start)
    return page_of(results, limit, private=private).map(_endpoint)


def delete_endpoint(endpoint_id: str) -> None:
    WebhookEndpoint(endpoint_id).delete()


def disable_endpoint(endpoint_id: str, reason: str, at: datetime) -> None:
    """Turn an active endpoint off; one already off keeps its first reason."""
    _conditional(
        WebhookEndpoint(endpoint_id),
        [
            WebhookEndpoint.status.set(DISABLED),
            WebhookEndpoint.disabled_at.set(at),
            WebhookEndpoint.disabled_reason.set(reason),
        ],
        WebhookEndpoint.status == ACTIVE,
    )


# Deliveries.


def _delivery(item: WebhookDelivery) -> Delivery:
    return Delivery(
        item.endpoint_id,
        item.delivery_id,
        event_id=item.event_id,
        event_type=item.event_type,
        created_at=item.created_at,
        state=item.state,
        attempts=int(item.attempts),
        final_attempt=int(item.final_attempt),
        next_attempt_at=item.next_attempt_at,
        last_attempt_at=item.last_attempt_at,
        last_status_code=_optional_int(item.last_status_code),
        finished_at=item.finished_at,
        reason=item.reason,
        history=tuple(
            Attempt(a.at, _optional_int(a.status_code), a.error, int(a.duration_ms)) for a in item.history
        ),
        due_at=item.due_at,
        expires_at=item.expires_at,
    )


def _attempt_map(attempt: Attempt) -> AttemptMap:
    return AttemptMap(**vars(attempt))


def add_delivery(delivery: Delivery) -> bool:
    """False when this event already has its delivery to this endpoint (a re-run)."""
    item = WebhookDelivery(
        **{**vars(delivery), "history": [_attempt_map(a) for a in delivery.history]},
        due=DUE if delivery.due_at is not None else None,
    )
    try:
        item.save(condition=WebhookDelivery.delivery_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_delivery(endpoint_id: str, delivery_id: str) -> Delivery | None:
    try:
        return _delivery(WebhookDelivery.get(endpoint_id, delivery_id, consistent_read=True))
    except DoesNotExist:
        return None


def deliveries_of(
    endpoint_id: str, state: str | None, limit: int, start: dict[str, Any] | None
) -> Page[Delivery]:
    """Newest first. A state filter reads within the budget of `filtered_page`: its pages may
    hold fewer than `limit` deliveries, and following the cursor reaches every one."""
    results = WebhookDelivery.query(
        endpoint_id,
        filter_condition=(WebhookDelivery.state == state) if state else None,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=resume(start, WebhookDelivery, endpoint_id=endpoint_id),
    )
    if state:
        return filtered_page(results, WebhookDelivery, limit).map(_delivery)
    return page_of(results, limit).map(_delivery)


def due_deliveries(until: datetime, limit: int) -> list[Delivery]:
    """Deliveries whose next attempt should have started by `until`, oldest first."""
    due = WebhookDelivery.due_index.query(DUE, WebhookDelivery.due_at <= until, limit=limit)
    return [_delivery(item) for item in due]


def _if_unchanged(
    delivery: Delivery, actions: list[Action], condition: Condition | None = None
) -> Delivery | None:
    """Apply `actions` if the delivery is still as it was read (and `condition` holds): no
    other sender or replay got there first."""
    unchanged: Condition = (WebhookDelivery.state == delivery.state) & (
        WebhookDelivery.attempts == delivery.attempts
    )
    item = WebhookDelivery(delivery.endpoint_id, delivery.delivery_id)
    if not _conditional(item, actions, unchanged if condition is None else unchanged & condition):
        return None
    return _delivery(item)


def postpone(delivery: Delivery, due_at: datetime) -> Delivery | None:
    """Move the instant by which the re-enqueue job looks at this delivery again."""
    return _if_unchanged(delivery, [WebhookDelivery.due_at.set(due_at)])


def claim(delivery: Delivery, at: datetime, lease_until: datetime) -> Delivery | None:
    """Take the next attempt: the one sender that wins may call the endpoint. Until it
    records the outcome the delivery stays due at `lease_until`, so a sender that dies
    midway is replaced rather than forgotten."""
    return _if_unchanged(
        delivery,
        [
            WebhookDelivery.attempts.add(1),
            WebhookDelivery.last_attempt_at.set(at),
            WebhookDelivery.due.set(DUE),
            WebhookDelivery.due_at.set(lease_until),
        ],
        WebhookDelivery.state == PENDING,
    )


def record_attempt(
    delivery: Delivery,
    outcome: Attempt,
    state: str,
    next_attempt_at: datetime | None,
    due_at: datetime | None,
    reason: str | None = None,
) -> Delivery | None:
    """The outcome of the attempt this sender claimed; a finished delivery leaves `due`."""
    history = [_attempt_map(a) for a in (*delivery.history, outcome)][-KEEP_ATTEMPTS:]
    actions: list[Action] = [
        WebhookDelivery.state.set(state),
        WebhookDelivery.history.set(history),
        WebhookDelivery.last_status_code.set(outcome.status_code)
        if outcome.status_code is not None
        else WebhookDelivery.last_status_code.remove(),
    ]
    actions += _schedule_actions(state, next_attempt_at, due_at, outcome.at, reason)
    return _if_unchanged(delivery, actions)


def finish(delivery: Delivery, state: str, at: datetime, reason: str) -> Delivery | None:
    """End a delivery without an attempt (its endpoint is gone or disabled)."""
    return _if_unchanged(
        delivery, [WebhookDelivery.state.set(state), *_schedule_actions(state, None, None, at, reason)]
    )


def reopen(delivery: Delivery, final_attempt: int, at: datetime, due_at: datetime) -> Delivery | None:
    """A replay asked for by the owner: one more attempt now."""
    return _if_unchanged(
        delivery,
        [
            WebhookDelivery.state.set(PENDING),
            WebhookDelivery.final_attempt.set(final_attempt),
            *_schedule_actions(PENDING, at, due_at, at, None),
        ],
    )


def _schedule_actions(
    state: str, next_attempt_at: datetime | None, due_at: datetime | None, at: datetime, reason: str | None
) -> list[Action]:
    if state == PENDING:
        assert next_attempt_at is not None and due_at is not None
        return [
            WebhookDelivery.next_attempt_at.set(next_attempt_at),
            WebhookDelivery.due.set(DUE),
            WebhookDelivery.due_at.set(due_at),
            WebhookDelivery.finished_at.remove(),
            WebhookDelivery.reason.remove(),
            WebhookDelivery.expires_at.remove(),
        ]
    return [
        WebhookDelivery.next_attempt_at.remove(),
        WebhookDelivery.due.remove(),
        WebhookDelivery.due_at.remove(),
        WebhookDelivery.finished_at.set(at),
        WebhookDelivery.reason.set(reason) if reason else WebhookDelivery.reason.remove(),
        WebhookDelivery.expires_at.set(at + KEPT_SETTLED),
    ]
