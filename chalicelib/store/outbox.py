"""The transactional outbox: events written in the same transaction as the change they report,
then delivered by the notification dispatcher. A crash between the two loses nothing."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.events import Event
from chalicelib.store.base import TableMeta, named

PENDING = "pending"


class PendingEvents(GlobalSecondaryIndex["OutboxEvent"]):
    """Sparse: only events not yet handed to the delivery queue carry `pending`."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)


class OutboxEvent(Model):
    class Meta(TableMeta):
        table_name = named("outbox")

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
    return Event(
        item.event_id,
        type=item.type,
        occurred_at=item.occurred_at,
        data=item.data,
        patient=item.patient,
        doctor_code=item.doctor_code,
        on_behalf_of=item.on_behalf_of,
    )


def save(event: Event) -> None:
    """Write one event outside any transaction (operator replays and tests)."""
    model_of(event).save()


def pending_events(limit: int) -> list[Event]:
    """Events not yet handed to the delivery queue, oldest first (ids sort by time)."""
    return [_record(item) for item in OutboxEvent.pending_index.query(PENDING, limit=limit)]


def mark_dispatched(event: Event) -> None:
    """Leave the sparse index; the event itself stays, as replays read its payload."""
    OutboxEvent(event.event_id).update(actions=[OutboxEvent.pending.remove()])


def get(event_id: str) -> Event | None:
    try:
        return _record(OutboxEvent.get(event_id))
    except DoesNotExist:
        return None
