"""Webhook endpoints and the delivery log.

A delivery is one event for one endpoint. It holds what the owner may see (event id and
type, attempts, status codes, times) and never the event's payload, which stays in the
outbox. While a delivery still owes an attempt it sits in the sparse `due` index under the
instant by which that attempt must have started; the re-enqueue job reads only that index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import Page, TableMeta, named, page_of, resume

ACTIVE = "active"
DISABLED = "disabled"

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
CANCELLED = "cancelled"
DUE = "due"
# The delivery log keeps the latest attempts of each delivery, enough for the whole schedule.
KEEP_ATTEMPTS = 20


class ByOwner(GlobalSecondaryIndex["Endpoint"]):
    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)


class Endpoint(Model):
    class Meta(TableMeta):
        table_name = named("webhooks")

    endpoint_id = UnicodeAttribute(hash_key=True)
    # `patient#<matricule>` or `doctor#<doctor code>`.
    owner = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute, null=True)
    sealed_secret = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    disabled_at = UTCDateTimeAttribute(null=True)
    disabled_reason = UnicodeAttribute(null=True)
    by_owner = ByOwner()

    def subscribed(self) -> list[str] | None:
        """The event types asked for; None for all."""
        return None if self.events is None else [str(e) for e in self.events]


class AttemptMap(MapAttribute[str, Any]):
    at = UTCDateTimeAttribute()
    status_code = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute()


class DueDeliveries(GlobalSecondaryIndex["Delivery"]):
    """Sparse: only deliveries that owe an attempt carry `due`."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class Delivery(Model):
    class Meta(TableMeta):
        table_name = named("webhook-deliveries")

    endpoint_id = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    state = UnicodeAttribute()
    # Attempts started so far; also the token that keeps two senders off one attempt.
    attempts = NumberAttribute()
    # A failure of this attempt ends in the dead letters (raised by one on a replay).
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


def _conditional(item: Model, actions: list[Action], condition: Condition) -> bool:
    """Apply an update only if `condition` holds; False when it did not."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# Endpoints.


def save_endpoint(endpoint: Endpoint) -> None:
    endpoint.save(condition=Endpoint.endpoint_id.does_not_exist())


def get_endpoint(endpoint_id: str) -> Endpoint | None:
    try:
        return Endpoint.get(endpoint_id)
    except DoesNotExist:
        return None


def endpoints_of(owner: str, limit: int, start: dict[str, Any] | None = None) -> Page[Endpoint]:
    """The owner key names a patient's matricule: it is kept out of the cursor."""
    private = ("owner",)
    start = resume(start, Endpoint, Endpoint.by_owner, private=private, owner=owner)
    return page_of(
        Endpoint.by_owner.query(owner, limit=limit, last_evaluated_key=start), limit, private=private
    )


def delete_endpoint(endpoint: Endpoint) -> None:
    endpoint.delete()


def disable_endpoint(endpoint: Endpoint, reason: str, at: datetime) -> None:
    _conditional(
        endpoint,
        [
            Endpoint.status.set(DISABLED),
            Endpoint.disabled_at.set(at),
            Endpoint.disabled_reason.set(reason),
        ],
        Endpoint.status == ACTIVE,
    )


# Deliveries.


def add_delivery(delivery: Delivery) -> bool:
    """False when this event already has its delivery to this endpoint (a re-run)."""
    try:
        delivery.save(condition=Delivery.delivery_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_delivery(endpoint_id: str, delivery_id: str) -> Delivery | None:
    try:
        return Delivery.get(endpoint_id, delivery_id, consistent_read=True)
    except DoesNotExist:
        return None


def deliveries_of(
    endpoint_id: str, state: str | None, limit: int, start: dict[str, Any] | None
) -> Page[Delivery]:
    """Newest first."""
    return page_of(
        Delivery.query(
            endpoint_id,
            filter_condition=(Delivery.state == state) if state else None,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=resume(start, Delivery, endpoint_id=endpoint_id),
        ),
        limit,
    )


def due_deliveries(until: datetime, limit: int) -> list[Delivery]:
    """Deliveries whose next attempt should have started by `until`, oldest first."""
    return list(Delivery.due_index.query(DUE, Delivery.due_at <= until, limit=limit))


def _unchanged(delivery: Delivery) -> Condition:
    """The delivery is still as it was read: no other sender or replay got there first."""
    condition: Condition = (Delivery.state == delivery.state) & (Delivery.attempts == delivery.attempts)
    return condition


def postpone(delivery: Delivery, due_at: datetime) -> bool:
    """Move the instant by which the re-enqueue job looks at this delivery again."""
    return _conditional(delivery, [Delivery.due_at.set(due_at)], _unchanged(delivery))


def claim(delivery: Delivery, at: datetime, lease_until: datetime) -> bool:
    """Take the next attempt: the one sender that wins may call the endpoint. Until it
    records the outcome the delivery stays due at `lease_until`, so a sender that dies
    midway is replaced rather than forgotten."""
    return _conditional(
        delivery,
        [
            Delivery.attempts.add(1),
            Delivery.last_attempt_at.set(at),
            Delivery.due.set(DUE),
            Delivery.due_at.set(lease_until),
        ],
        _unchanged(delivery) & (Delivery.state == PENDING),
    )


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


def record_attempt(
    delivery: Delivery,
    outcome: Attempt,
    state: str,
    next_attempt_at: datetime | None,
    due_at: datetime | None,
    reason: str | None = None,
) -> bool:
    """The outcome of the attempt this sender claimed; a finished delivery leaves `due`."""
    attempt = AttemptMap(**vars(outcome))
    history = [*delivery.history, attempt][-KEEP_ATTEMPTS:]
    actions: list[Action] = [
        Delivery.state.set(state),
        Delivery.history.set(history),
        Delivery.last_status_code.set(attempt.status_code)
        if attempt.status_code is not None
        else Delivery.last_status_code.remove(),
    ]
    actions += _schedule_actions(state, next_attempt_at, due_at, attempt.at, reason)
    return _conditional(delivery, actions, _unchanged(delivery))


def finish(delivery: Delivery, state: str, at: datetime, reason: str) -> bool:
    """End a delivery without an attempt (its endpoint is gone or disabled)."""
    return _conditional(
        delivery,
        [Delivery.state.set(state), *_schedule_actions(state, None, None, at, reason)],
        _unchanged(delivery),
    )


def reopen(delivery: Delivery, final_attempt: int, at: datetime, due_at: datetime) -> bool:
    """A replay asked for by the owner: one more attempt now."""
    return _conditional(
        delivery,
        [
            Delivery.state.set(PENDING),
            Delivery.final_attempt.set(final_attempt),
            *_schedule_actions(PENDING, at, due_at, at, None),
        ],
        _unchanged(delivery),
    )


def _schedule_actions(
    state: str, next_attempt_at: datetime | None, due_at: datetime | None, at: datetime, reason: str | None
) -> list[Action]:
    if state == PENDING:
        assert next_attempt_at is not None and due_at is not None
        return [
            Delivery.next_attempt_at.set(next_attempt_at),
            Delivery.due.set(DUE),
            Delivery.due_at.set(due_at),
            Delivery.finished_at.remove(),
            Delivery.reason.remove(),
        ]
    return [
        Delivery.next_attempt_at.remove(),
        Delivery.due.remove(),
        Delivery.due_at.remove(),
        Delivery.finished_at.set(at),
        Delivery.reason.set(reason) if reason else Delivery.reason.remove(),
    ]
