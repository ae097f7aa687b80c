"""The access journal's tables: the entries, appended and never changed, keyed for the
patient's reading (newest first), and the notices that say until when a patient need not be
told again of an actor's accesses.

This module writes entries only with a condition that no entry has their key, and has no
function that changes or deletes one; the functions' IAM roles cannot either (infra/access.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from pynamodb.attributes import BooleanAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.domain import journal
from chalicelib.domain.events import Event
from chalicelib.store import outbox
from chalicelib.store.base import TableMeta, named, page_of, resume, transact

# A notice is named by the patient and the actor it concerns.
NoticeKey = tuple[str, str]


class EntryItem(Model):
    class Meta(TableMeta):
        table_name = named("journal")

    # The patient's matricule keys the table (encrypted at rest); it stays out of cursors.
    patient = UnicodeAttribute(hash_key=True)
    # `acc_` + a ULID: sorting by it sorts by time, so the newest come first in one Query.
    access_id = UnicodeAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    actor_kind = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    actor_name = UnicodeAttribute()
    actor_ref = UnicodeAttribute()
    action = UnicodeAttribute()
    object_type = UnicodeAttribute()
    object_id = UnicodeAttribute(null=True)
    emergency = BooleanAttribute()


class NoticeItem(Model):
    class Meta(TableMeta):
        table_name = named("journal-notices")

    patient = UnicodeAttribute(hash_key=True)
    actor_ref = UnicodeAttribute(range_key=True)
    until = UTCDateTimeAttribute()
    # DynamoDB deletes the item some time after `until`; `until` is what the conditions read.
    expires = TTLAttribute()


def _entry_item(entry: journal.Entry) -> EntryItem:
    return EntryItem(
        entry.patient,
        entry.access_id,
        at=entry.at,
        actor_kind=entry.actor.kind,
        actor_id=entry.actor.id,
        actor_name=entry.actor.name,
        actor_ref=entry.actor.ref,
        action=entry.action,
        object_type=entry.object.type,
        object_id=entry.object.id,
        emergency=entry.emergency,
    )


def _entry(item: EntryItem) -> journal.Entry:
    # Every kind and action stored was written from the domain's literals.
    return journal.Entry(
        access_id=item.access_id,
        patient=item.patient,
        at=item.at,
        actor=journal.Actor(
            cast("journal.ActorKind", item.actor_kind), item.actor_id, item.actor_name, item.actor_ref
        ),
        action=cast("journal.Action", item.action),
        object=journal.ObjectRef(item.object_type, item.object_id),
        emergency=item.emergency,
    )


def _notice_item(notice: journal.Notice) -> NoticeItem:
    return NoticeItem(notice.patient, notice.actor_ref, until=notice.until, expires=notice.until)


def append(
    entries: Sequence[journal.Entry],
    *,
    covered: Collection[NoticeKey],
    notices: Sequence[journal.Notice],
    events: Sequence[Event],
    at: datetime,
) -> bool:
    """Write `entries` in one transaction with what decides whether the patient is told: a
    check that each notice in `covered` still covers `at`, and each of `notices` (written
    only where no notice covers `at`) with `events`. False when a check or a condition did
    not hold: nothing was written. A collision with a concurrent transaction on the same
    items is tried again (`store.base.transact`)."""
    if len(entries) == 1 and not covered and not notices and not events:
        # An entry that tells no one (an operator's action) is one conditional put: half the
        # cost of a transaction, and the same guarantee that no entry is ever overwritten.
        try:
            _entry_item(entries[0]).save(condition=EntryItem.access_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def write(tx: TransactWrite) -> None:
        for entry in entries:
            tx.save(_entry_item(entry), condition=EntryItem.access_id.does_not_exist())
        for patient, actor_ref in covered:
            tx.condition_check(NoticeItem, patient, actor_ref, condition=NoticeItem.until > at)
        for notice in notices:
            tx.save(
                _notice_item(notice),
                condition=NoticeItem.until.does_not_exist() | (NoticeItem.until <= at),
            )
        for event in events:
            tx.save(outbox.model_of(event))

    return transact(write)


def covered(keys: Collection[NoticeKey], at: datetime) -> set[NoticeKey]:
    """Those of `keys` whose notice covers `at`. An outdated copy of a notice can only be
    older, so an eventually consistent read never claims a patient was told when they were
    not; the conditions of `append` settle the rest."""
    return {(item.patient, item.actor_ref) for item in NoticeItem.batch_get(list(keys)) if item.until > at}


def entries_of(
    patient: str, between: tuple[str, str], limit: int, start: dict[str, Any] | None
) -> Page[journal.Entry]:
    """The patient's entries whose ids lie `between` the two given (both included), newest
    first. The matricule is kept out of the cursor, which travels in URLs."""
    private = ("patient",)
    return page_of(
        EntryItem.query(
            patient,
            range_key_condition=EntryItem.access_id.between(*between),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=resume(start, EntryItem, private=private, patient=patient),
        ),
        limit,
        private=private,
    ).map(_entry)
