"""The transactional outbox: events written in the same transaction as the change they report,
then relayed to the notification dispatcher. A crash between the two loses nothing.

In AWS the table's stream hands each new event to the relay within seconds; the sparse
`pending` index holds every event not yet dispatched, for the scheduled run that relays what
the stream path missed. An event the relay cannot handle leaves `pending` for the sparse
`dead` index, with its error, until it is replayed. Dispatched and dead events expire by
DynamoDB's TTL (`expires_at`).

The relay's writes (a failure counted, an event set aside) read nothing back: they must work
on an item too malformed to become an `Event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.events import DeadEvent, Event, UnreadableEvent
from chalicelib.domain.webhooks import EVENT_KEPT
from chalicelib.store.base import TableMeta, named

PENDING = "pending"
DEAD = "dead"
# What PynamoDB raises for an item it cannot read back as its model (malformed JSON, a date
# or a number that is not one, a value of the wrong type).
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError)


class PendingEvents(GlobalSecondaryIndex["OutboxEvent"]):
    """Sparse: only events not yet handed to the delivery queue carry `pending`."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)


class DeadEvents(GlobalSecondaryIndex["OutboxEvent"]):
    """Sparse: only events the relay set aside carry `dead`."""

    class Meta:
        index_name = "dead"
        projection = AllProjection()

    dead = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)


class OutboxEvent(Model):
    class Meta(TableMeta):
        table_name = named("outbox")
        # Each new item reaches the relay through the stream; the image is all it needs.
        stream_view_type = "NEW_IMAGE"

    event_id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    # Whom the event concerns, so the dispatcher finds their endpoints with one query each.
    patient = UnicodeAttribute(null=True)
    doctor_code = UnicodeAttribute(null=True)
    on_behalf_of = UnicodeAttribute(null=True)
    data: JSONAttribute = JSONAttribute()
    pending = UnicodeAttribute(null=True)
    pending_index = PendingEvents()
    # Failed tries to relay it, and the error of the latest.
    failures = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    dead = UnicodeAttribute(null=True)
    dead_at = UTCDateTimeAttribute(null=True)
    dead_index = DeadEvents()
    expires_at = TTLAttribute(null=True)


def model_of(event: Event) -> OutboxEvent:
    """The item a transaction writes for `event`, pending dispatch."""
    return OutboxEvent(
        event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        data=event.data,
        patient=event.patient,
        doctor_code=event.doctor_code,
        on_behalf_of=event.on_behalf_of,
        pending=PENDING,
    )


def _record(item: OutboxEvent) -> Event:
    """The event an item holds; UnreadableEvent where a field is missing or of the wrong kind
    (PynamoDB checks nothing on reading)."""
    checks = {
        "type": isinstance(item.type, str) and bool(item.type),
        "occurred_at": isinstance(item.occurred_at, datetime),
        "data": isinstance(item.data, dict),
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        raise UnreadableEvent(item.event_id, f"malformed event: {', '.join(wrong)}")
    return Event(
        item.event_id,
        type=item.type,
        occurred_at=item.occurred_at,
        data=item.data,
        patient=item.patient,
        doctor_code=item.doctor_code,
        on_behalf_of=item.on_behalf_of,
    )


def _read(event_id: str, consistent: bool) -> OutboxEvent | None:
    try:
        return OutboxEvent.get(event_id, consistent_read=consistent)
    except DoesNotExist:
        return None
    except _MALFORMED as exc:
        raise UnreadableEvent(event_id, f"unreadable event: {type(exc).__name__}: {exc}") from exc


def save(event: Event) -> None:
    """Write one event outside any transaction (tests and operator tools)."""
    model_of(event).save()


def get(event_id: str) -> Event | None:
    """The event, dispatched or not (deliveries read their payload from here)."""
    item = _read(event_id, consistent=False)
    return None if item is None else _record(item)


def pending_event(event_id: str) -> Event | None:
    """The event if it still waits for dispatch; None once dispatched, set aside or gone."""
    item = _read(event_id, consistent=True)
    return None if item is None or item.pending != PENDING else _record(item)


def pending_ids(limit: int, after: str | None = None) -> list[str]:
    """Ids of events waiting for dispatch, oldest first (ids sort by time), from just after
    `after`. Only the keys are read: one malformed item must not spoil a page."""
    condition = OutboxEvent.event_id > after if after else None
    found = OutboxEvent.pending_index.query(PENDING, condition, limit=limit, attributes_to_get=["event_id"])
    return [item.event_id for item in found]


def new_event(record: Mapping[str, Any]) -> Event | None:
    """The event a stream record announces, if it is the write of a new pending event; None
    for every other change (a dispatch, a failure counted, a set-aside, an expiry)."""
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if record.get("eventName") != "INSERT" or image.get("pending") != {"S": PENDING}:
        return None
    try:
        item = OutboxEvent.from_raw_data(dict(image))
    except _MALFORMED as exc:
        event_id = str(image.get("event_id", {}).get("S", ""))
        raise UnreadableEvent(event_id, f"unreadable event: {type(exc).__name__}: {exc}") from exc
    return _record(item)


def new_event_pattern() -> dict[str, Any]:
    """`new_event` as a Lambda event filter, so that the relay is not even invoked for the
    other changes: the same test, on the record's JSON."""
    return {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"pending": {"S": [PENDING]}}}}


def _update(event_id: str, actions: list[Action], condition: Condition) -> dict[str, Any] | None:
    """Apply `actions` where `condition` holds, reading back only what they changed; None
    where it does not hold."""
    try:
        # The model's own connection: `Model.update` would read the whole item back into it.
        answer: dict[str, Any] = OutboxEvent._get_connection().update_item(
            event_id, actions=actions, condition=condition, return_values="UPDATED_NEW"
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return dict(answer.get("Attributes", {}))


def mark_dispatched(event_id: str, at: datetime) -> None:
    """Leave the sparse index, and the failures of earlier tries behind; the event itself
    stays while deliveries may read its payload. One already gone (expired) is not written
    again."""
    _update(
        event_id,
        [
            OutboxEvent.pending.remove(),
            OutboxEvent.failures.remove(),
            OutboxEvent.error.remove(),
            OutboxEvent.expires_at.set(at + EVENT_KEPT),
        ],
        OutboxEvent.event_id.exists(),
    )


def keep_until(event_id: str, at: datetime) -> None:
    """Keep a dispatched event at least until `at` (a delivery of it was replayed)."""
    _update(
        event_id,
        [OutboxEvent.expires_at.set(at)],
        OutboxEvent.expires_at.exists() & (OutboxEvent.expires_at < at),
    )


def count_failure(event_id: str, error: str) -> int:
    """Note a failed try to relay a pending event; how many it has had. 0 where it is no
    longer pending (another run dispatched it meanwhile)."""
    changed = _update(
        event_id,
        [OutboxEvent.failures.add(1), OutboxEvent.error.set(error)],
        OutboxEvent.pending == PENDING,
    )
    return 0 if changed is None else int(changed["failures"]["N"])


def set_aside(event_id: str, error: str, at: datetime) -> bool:
    """Take a pending event out of the relay's way, with the error that made it give up; False
    where it is no longer pending. It is kept as long as a dispatched one."""
    changed = _update(
        event_id,
        [
            OutboxEvent.pending.remove(),
            OutboxEvent.dead.set(DEAD),
            OutboxEvent.dead_at.set(at),
            OutboxEvent.error.set(error),
            OutboxEvent.expires_at.set(at + EVENT_KEPT),
        ],
        OutboxEvent.pending == PENDING,
    )
    return changed is not None


def dead_events(limit: int) -> list[DeadEvent]:
    """Events set aside, oldest first; only the relay's own fields are read."""
    found = OutboxEvent.dead_index.query(
        DEAD, limit=limit, attributes_to_get=["event_id", "error", "failures", "dead_at"]
    )
    return [DeadEvent(i.event_id, i.error or "", int(i.failures or 0), i.dead_at) for i in found]


def revive(event_id: str) -> bool:
    """Put an event set aside back in the pending index, with a clean slate; False where it
    is not set aside (never was, or replayed already)."""
    changed = _update(
        event_id,
        [
            OutboxEvent.pending.set(PENDING),
            OutboxEvent.dead.remove(),
            OutboxEvent.dead_at.remove(),
            OutboxEvent.failures.remove(),
            OutboxEvent.error.remove(),
            OutboxEvent.expires_at.remove(),
        ],
        OutboxEvent.dead == DEAD,
    )
    return changed is not None
