"""The vaccination booklets, and what the reminder job watches of each patient.

An entry is keyed by the patient's matricule and its id, so a booklet is one Query. Each
patient with a booklet has one `WatchItem`: the next day a dose falls due that they were not
told of, and the reminders already sent. It is written in the same transaction as every new
entry, and by the reminder job with the events it sends, each time on the condition that its
`version` is still the one read: two writers never both act on the same reading, so a
reminder goes out once. The sparse `due` index holds only watches with a day to come, spread
over a few shards, so the job reads what is due with a Query per shard and never a scan.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Literal, cast

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain import idempotency as keys
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.vaccinations import Recorder, Vaccination, Watch
from chalicelib.store import documents, idempotency, outbox
from chalicelib.store.base import TableMeta, named, transact

# The `due` index's partitions: enough to spread the writes of a busy day, few enough that the
# job reads them all with one Query each.
SHARDS = 4
# Watches read at a time by the job: a run stopped by its budget has read little ahead.
DUE_PAGE = 100
# More entries than any booklet holds: one Query page reads a whole booklet.
MOST_ENTRIES = 500


class VaccinationItem(Model):
    class Meta(TableMeta):
        table_name = named("vaccinations")

    # The matricule keys the table (encrypted at rest), as it does the vault's metadata.
    patient = UnicodeAttribute(hash_key=True)
    vaccination_id = UnicodeAttribute(range_key=True)
    vaccine_code = UnicodeAttribute()
    vaccine_name = UnicodeAttribute()
    targets = ListAttribute[str]()
    dose_number = NumberAttribute(null=True)
    given_on = UnicodeAttribute()
    lot_number = UnicodeAttribute(null=True)
    verified = BooleanAttribute()
    recorded_at = UTCDateTimeAttribute()
    recorder_kind = UnicodeAttribute()
    recorder_id = UnicodeAttribute()
    recorder_name = UnicodeAttribute()
    document_id = UnicodeAttribute(null=True)
    qr = UnicodeAttribute(null=True)


class DueWatches(GlobalSecondaryIndex["WatchItem"]):
    """Sparse: only a watch with a day to come carries `due_shard` and `due_on`."""

    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_on = UnicodeAttribute(range_key=True)


class WatchItem(Model):
    class Meta(TableMeta):
        table_name = named("vaccination-watches")

    patient = UnicodeAttribute(hash_key=True)
    due_shard = UnicodeAttribute(null=True)
    due_on = UnicodeAttribute(null=True)
    told = UnicodeSetAttribute(null=True)
    version = NumberAttribute()
    due = DueWatches()


def _model(vaccination: Vaccination) -> VaccinationItem:
    return VaccinationItem(
        vaccination.patient,
        vaccination.vaccination_id,
        vaccine_code=vaccination.vaccine_code,
        vaccine_name=vaccination.vaccine_name,
        targets=list(vaccination.targets),
        dose_number=vaccination.dose_number,
        given_on=vaccination.given_on.isoformat(),
        lot_number=vaccination.lot_number,
        verified=vaccination.verified,
        recorded_at=vaccination.recorded_at,
        recorder_kind=vaccination.recorded_by.kind,
        recorder_id=vaccination.recorded_by.id,
        recorder_name=vaccination.recorded_by.name,
        document_id=vaccination.document_id,
        qr=vaccination.qr or None,
    )


def _record(item: VaccinationItem) -> Vaccination:
    return Vaccination(
        vaccination_id=item.vaccination_id,
        patient=item.patient,
        vaccine_code=item.vaccine_code,
        vaccine_name=item.vaccine_name,
        targets=tuple(item.targets or ()),
        dose_number=None if item.dose_number is None else int(item.dose_number),
        given_on=date.fromisoformat(item.given_on),
        lot_number=item.lot_number,
        verified=bool(item.verified),
        recorded_at=item.recorded_at,
        recorded_by=Recorder(
            cast("Literal['practice', 'patient']", item.recorder_kind), item.recorder_id, item.recorder_name
        ),
        document_id=item.document_id,
        qr=item.qr or "",
    )


def _shard(patient: str) -> str:
    return str(zlib.crc32(patient.encode()) % SHARDS)


def _watch_model(watch: Watch) -> WatchItem:
    due = watch.next_due
    return WatchItem(
        watch.patient,
        due_shard=_shard(watch.patient) if due else None,
        due_on=due.isoformat() if due else None,
        told=set(watch.told) or None,
        version=watch.version,
    )


def _watch(item: WatchItem) -> Watch:
    return Watch(
        patient=item.patient,
        next_due=date.fromisoformat(item.due_on) if item.due_on else None,
        told=frozenset(item.told or ()),
        version=int(item.version),
    )


def booklet(patient: str) -> list[Vaccination]:
    """Every entry of the patient's booklet, in the order they were recorded."""
    return [
        _record(item) for item in VaccinationItem.query(patient, consistent_read=True, limit=MOST_ENTRIES)
    ]


def watch_of(patient: str) -> Watch | None:
    try:
        return _watch(WatchItem.get(patient, consistent_read=True))
    except DoesNotExist:
        return None


def _replace_watch(tx: TransactWrite, read: Watch | None, watch: Watch) -> None:
    """`watch` in place of `read`, only if the item is still as read (or still absent)."""
    held = WatchItem.version == read.version if read else WatchItem.patient.does_not_exist()
    tx.save(_watch_model(watch), condition=held)


def get(patient: str, vaccination_id: str) -> Vaccination | None:
    """One entry of a patient's booklet, read strongly consistent: the retry of the request
    that recorded it follows the commit at once."""
    try:
        return _record(VaccinationItem.get(patient, vaccination_id, consistent_read=True))
    except DoesNotExist:
        return None


def add(
    vaccination: Vaccination,
    copy: Document | None,
    events: Sequence[Event],
    read: Watch | None,
    watch: Watch,
    once: Once | None,
) -> bool:
    """The entry, the record of its copy in the vault, its events, the patient's new watch
    and the record of the request's key, all or nothing. False when the watch changed since
    it was read; a Conflict when a request with the same key recorded first."""

    def write(tx: TransactWrite) -> None:
        tx.save(_model(vaccination), condition=VaccinationItem.vaccination_id.does_not_exist())
        if copy is not None:
            tx.save(documents.model_of(copy))
        for event in events:
            tx.save(outbox.model_of(event))
        _replace_watch(tx, read, watch)

    return idempotency.transact(write, keys.made(once, vaccination.vaccination_id))


def watches_due(today: date) -> Iterator[Watch]:
    """The watches whose day has come, earliest first within each shard; read a page at a
    time, as the caller consumes them."""
    return (
        _watch(item)
        for shard in range(SHARDS)
        for item in WatchItem.due.query(
            str(shard), range_key_condition=WatchItem.due_on <= today.isoformat(), page_size=DUE_PAGE
        )
    )


def tell(read: Watch, watch: Watch, events: Sequence[Event]) -> bool:
    """The reminders' events with the watch that records them as sent, only if the watch is
    still as read: of two jobs that race, one sends them."""

    def write(tx: TransactWrite) -> None:
        for event in events:
            tx.save(outbox.model_of(event))
        _replace_watch(tx, read, watch)

    return transact(write)
