"""The transactional outbox: events written in the same transaction as the change they report,
then delivered by the notification dispatcher. A crash between the two loses nothing."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

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
    data: JSONAttribute = JSONAttribute()
    pending = UnicodeAttribute(null=True)
    pending_index = PendingEvents()


def new_event(
    event_id: str,
    type: str,
    occurred_at: Any,
    data: dict[str, Any],
    *,
    patient: str | None = None,
    doctor_code: str | None = None,
) -> OutboxEvent:
    return OutboxEvent(
        event_id,
        type=type,
        occurred_at=occurred_at,
        data=data,
        patient=patient,
        doctor_code=doctor_code,
        pending=PENDING,
    )


def pending_events(limit: int) -> list[OutboxEvent]:
    """Events not yet handed to the delivery queue, oldest first (ids sort by time)."""
    return list(OutboxEvent.pending_index.query(PENDING, limit=limit))


def mark_dispatched(event: OutboxEvent) -> None:
    """Leave the sparse index; the event itself stays, as replays read its payload."""
    event.update(actions=[OutboxEvent.pending.remove()])


def get(event_id: str) -> OutboxEvent | None:
    try:
        return OutboxEvent.get(event_id)
    except DoesNotExist:
        return None
