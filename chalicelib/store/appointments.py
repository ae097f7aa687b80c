"""Opening hours, appointments, and the one-item-per-slot lock that makes a booking unique.

A booking writes a `BookedSlot` keyed by doctor and start on the condition that it does not
exist yet: DynamoDB lets exactly one of any number of racing bookings through, with no read
first. Cancelling deletes that item in the same transaction, so the slot is free at once;
the appointment itself stays, cancelled, for both sides' history.

The limits on appointments yet to begin work the same way: a patient has `MOST_AHEAD`
numbered `Place`s, and `MOST_AHEAD_WITH_ONE_DOCTOR` more with each doctor. A booking reads
them (a Query of at most that many items), takes a free one of each in its transaction on
the condition that it is still as it was read, and so two racing bookings for the last place
collide; the loser reads again and finds none. Cancelling gives the places back; a place
whose appointment has begun is free again by itself (`domain.appointments.free_place`).

The models stay in this module: it takes and returns `domain.appointments.Appointment` and
`domain.slots.Availability` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.domain import appointments, slots
from chalicelib.domain import idempotency as keys
from chalicelib.domain.appointments import BOOKED, CANCELLED, MOST_AHEAD, MOST_AHEAD_WITH_ONE_DOCTOR
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.store import idempotency, outbox
from chalicelib.store.base import TableMeta, named, page_of, resume, transact

# Reminders due are read this many at a time: a run that stops early has read little ahead.
REMINDER_PAGE = 100
# A booking that loses a place to a racing one reads the places again this often, then is 409.
PLACE_ATTEMPTS = 3
# A place is kept this long after its appointment began, then DynamoDB deletes it: it is free
# from the start on, so this only bounds how long it stays behind.
PLACE_KEPT = timedelta(days=1)

Booked = Literal["booked", "slot taken", "patient full", "doctor full", "contended"]


class WindowMap(MapAttribute[str, Any]):
    weekday = NumberAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()


class ExceptionMap(MapAttribute[str, Any]):
    date = UnicodeAttribute()
    closed = BooleanAttribute()


class Availability(Model):
    """A practice's opening hours, replaced as a whole by each publication."""

    class Meta(TableMeta):
        table_name = named("availability")

    doctor_code = UnicodeAttribute(hash_key=True)
    slot_minutes = NumberAttribute()
    weekly = ListAttribute(of=WindowMap)
    exceptions = ListAttribute(of=ExceptionMap)
    updated_at = UTCDateTimeAttribute()


class BookedSlot(Model):
    """The lock on one slot of one doctor; exists exactly while the slot is booked."""

    class Meta(TableMeta):
        table_name = named("booked-slots")

    doctor_code = UnicodeAttribute(hash_key=True)
    start = UTCDateTimeAttribute(range_key=True)
    appointment_id = UnicodeAttribute()


class Place(Model):
    """One of a patient's places for an appointment yet to begin, in all (`holder` is the
    patient's id) or with one doctor (the patient's id and the doctor code)."""

    class Meta(TableMeta):
        table_name = named("appointment-places")

    holder = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)
    appointment_id = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    expires = TTLAttribute()


class ByPatient(GlobalSecondaryIndex["Appointment"]):
    class Meta:
        index_name = "by-patient"
        projection = AllProjection()

    patient_matricule = UnicodeAttribute(hash_key=True)
    start = UTCDateTimeAttribute(range_key=True)


class ByDoctor(GlobalSecondaryIndex["Appointment"]):
    class Meta:
        index_name = "by-doctor"
        projection = AllProjection()

    doctor_code = UnicodeAttribute(hash_key=True)
    start = UTCDateTimeAttribute(range_key=True)


class ByDoctorPatient(GlobalSecondaryIndex["Appointment"]):
    """One patient's appointments with one practice: whether they have a care relationship
    (the shared care record) is one query of it."""

    class Meta:
        index_name = "by-doctor-patient"
        projection = AllProjection()

    doctor_patient = UnicodeAttribute(hash_key=True)
    start = UTCDateTimeAttribute(range_key=True)


class RemindersDue(GlobalSecondaryIndex["Appointment"]):
    """Sparse: only appointments still owed a reminder carry `reminder_day` (the UTC date of
    their start), so the scheduler reads one or two day partitions and never the past."""

    class Meta:
        index_name = "reminders-due"
        projection = AllProjection()

    reminder_day = UnicodeAttribute(hash_key=True)
    start = UTCDateTimeAttribute(range_key=True)


class Appointment(Model):
    class Meta(TableMeta):
        table_name = named("appointments")

    appointment_id = UnicodeAttribute(hash_key=True)
    doctor_code = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    patient_matricule = UnicodeAttribute()
    booked_by = UnicodeAttribute()
    booker_matricule = UnicodeAttribute()
    start = UTCDateTimeAttribute()
    end = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    reminder_day = UnicodeAttribute(null=True)
    reminded_at = UTCDateTimeAttribute(null=True)
    # `doctor_code#patient_matricule`; absent on appointments booked before the record.
    doctor_patient = UnicodeAttribute(null=True)
    by_patient = ByPatient()
    by_doctor = ByDoctor()
    reminders_due = RemindersDue()
    by_doctor_patient = ByDoctorPatient()


def _before(instant: datetime) -> datetime:
    """The last stored instant before `instant`: BETWEEN is inclusive, our ranges are not."""
    return instant - timedelta(microseconds=1)


def _utc_day(instant: datetime) -> str:
    return instant.astimezone(UTC).date().isoformat()


def _record(item: Appointment) -> appointments.Appointment:
    return appointments.Appointment(
        item.appointment_id,
        doctor_code=item.doctor_code,
        patient_id=item.patient_id,
        patient_matricule=item.patient_matricule,
        booked_by=item.booked_by,
        booker_matricule=item.booker_matricule,
        start=item.start,
        end=item.end,
        status=cast("appointments.Status", item.status),
        reason=item.reason,
        created_at=item.created_at,
        reminder_owed=item.reminder_day is not None,
        cancelled_at=item.cancelled_at,
        cancelled_by=item.cancelled_by,
        reminded_at=item.reminded_at,
    )


def _item(appointment: appointments.Appointment) -> Appointment:
    return Appointment(
        appointment.appointment_id,
        doctor_code=appointment.doctor_code,
        patient_id=appointment.patient_id,
        patient_matricule=appointment.patient_matricule,
        booked_by=appointment.booked_by,
        booker_matricule=appointment.booker_matricule,
        start=appointment.start,
        end=appointment.end,
        status=appointment.status,
        reason=appointment.reason,
        created_at=appointment.created_at,
        cancelled_at=appointment.cancelled_at,
        cancelled_by=appointment.cancelled_by,
        reminder_day=_utc_day(appointment.start) if appointment.reminder_owed else None,
        reminded_at=appointment.reminded_at,
        doctor_patient=f"{appointment.doctor_code}#{appointment.patient_matricule}",
    )


def _records(page: Page[Appointment]) -> Page[appointments.Appointment]:
    return Page([_record(item) for item in page.items], page.next_cursor)


def save_availability(doctor_code: str, hours: slots.Availability, now: datetime) -> None:
    Availability(
        doctor_code,
        slot_minutes=hours.slot_minutes,
        weekly=[
            WindowMap(weekday=w.weekday, start=w.start.strftime("%H:%M"), end=w.end.strftime("%H:%M"))
            for w in sorted(hours.weekly)
        ],
        exceptions=[ExceptionMap(date=d.isoformat(), closed=True) for d in sorted(hours.closed)],
        updated_at=now,
    ).save()


def get_availability(doctor_code: str) -> slots.Availability | None:
    try:
        record = Availability.get(doctor_code)
    except DoesNotExist:
        return None
    return slots.Availability(
        slot_minutes=int(record.slot_minutes),
        weekly=tuple(
            slots.Window(int(w.weekday), time.fromisoformat(w.start), time.fromisoformat(w.end))
            for w in record.weekly
        ),
        closed=frozenset(date.fromisoformat(e.date) for e in record.exceptions if e.closed),
    )


def booked_starts(doctor_code: str, since: datetime, until: datetime) -> list[datetime]:
    """Starts of this doctor's booked slots in [since, until): one query on the doctor's own
    partition, whatever other doctors have booked."""
    return [
        found.start
        for found in BookedSlot.query(
            doctor_code,
            range_key_condition=BookedSlot.start.between(since, _before(until)),
            attributes_to_get=["start"],
        )
    ]


def _limits(appointment: appointments.Appointment) -> list[tuple[str, int, Booked]]:
    """Each holder of places the appointment takes one of: its number of places, and what a
    booking is when all of them are held."""
    return [
        (appointment.patient_id, MOST_AHEAD, "patient full"),
        (f"{appointment.patient_id}/{appointment.doctor_code}", MOST_AHEAD_WITH_ONE_DOCTOR, "doctor full"),
    ]


def _places(holder: str) -> dict[int, Place]:
    """A holder's places, by number: as many items as it has places, at most."""
    return {int(place.number): place for place in Place.query(holder, consistent_read=True)}


def book(
    appointment: appointments.Appointment, events: list[Event], now: datetime, once: Once | None
) -> Booked:
    """Take the slot and a free place of each limit, record the appointment, its events and
    the record of the request's key together. A transaction that fails its conditions lost
    either the slot (final) or a place read as free (read again: other places may be free,
    or none)."""
    for _ in range(PLACE_ATTEMPTS):
        taking: list[tuple[Place, Place | None]] = []
        for holder, places, full in _limits(appointment):
            held = _places(holder)
            number = appointments.free_place({n: p.start for n, p in held.items()}, places, now)
            if number is None:
                return full
            place = Place(
                holder,
                number,
                appointment_id=appointment.appointment_id,
                start=appointment.start,
                expires=appointment.start + PLACE_KEPT,
            )
            taking.append((place, held.get(number)))
        refused = _book(appointment, events, taking, once)
        if not refused:
            return "booked"
        if BookedSlot.Meta.table_name in refused:
            return "slot taken"
    return "contended"


def _book(
    appointment: appointments.Appointment,
    events: list[Event],
    taking: list[tuple[Place, Place | None]],
    once: Once | None,
) -> frozenset[str]:
    lock = BookedSlot(appointment.doctor_code, appointment.start, appointment_id=appointment.appointment_id)

    def write(tx: TransactWrite) -> None:
        tx.save(lock, condition=BookedSlot.doctor_code.does_not_exist())
        tx.save(_item(appointment))
        for place, was in taking:
            unchanged = (
                Place.holder.does_not_exist() if was is None else Place.appointment_id == was.appointment_id
            )
            tx.save(place, condition=unchanged)
        for event in events:
            tx.save(outbox.model_of(event))

    return idempotency.refusals(write, keys.made(once, appointment.appointment_id))


def get(appointment_id: str) -> appointments.Appointment | None:
    try:
        return _record(Appointment.get(appointment_id, consistent_read=True))
    except DoesNotExist:
        return None


def cancel(appointment: appointments.Appointment, by: str, at: datetime, events: list[Event]) -> bool:
    """Cancel, free the slot and the places, and record the events together; False when the
    appointment was no longer booked (cancelled meanwhile)."""
    held = [
        place
        for holder, _, _ in _limits(appointment)
        for place in _places(holder).values()
        if place.appointment_id == appointment.appointment_id
    ]

    def write(tx: TransactWrite) -> None:
        tx.update(
            Appointment(appointment.appointment_id),
            actions=[
                Appointment.status.set(CANCELLED),
                Appointment.cancelled_at.set(at),
                Appointment.cancelled_by.set(by),
                Appointment.reminder_day.remove(),
            ],
            condition=Appointment.status == BOOKED,
        )
        tx.delete(
            BookedSlot(appointment.doctor_code, appointment.start),
            condition=BookedSlot.appointment_id == appointment.appointment_id,
        )
        for place in held:
            tx.delete(place, condition=Place.appointment_id == appointment.appointment_id)
        for event in events:
            tx.save(outbox.model_of(event))

    return transact(write)


def for_patient(matricule: str, limit: int, start: dict[str, Any] | None) -> Page[appointments.Appointment]:
    """The matricule is kept out of the cursor, which travels in URLs."""
    private = ("patient_matricule",)
    return _records(
        page_of(
            Appointment.by_patient.query(
                matricule,
                limit=limit,
                last_evaluated_key=resume(
                    start, Appointment, Appointment.by_patient, private=private, patient_matricule=matricule
                ),
            ),
            limit,
            private=private,
        )
    )


def for_doctor(
    doctor_code: str, since: datetime, until: datetime, limit: int, start: dict[str, Any] | None
) -> Page[appointments.Appointment]:
    """The practice's appointments starting in [since, until), earliest first."""
    return _records(
        page_of(
            Appointment.by_doctor.query(
                doctor_code,
                range_key_condition=Appointment.start.between(since, _before(until)),
                limit=limit,
                last_evaluated_key=resume(start, Appointment, Appointment.by_doctor, doctor_code=doctor_code),
            ),
            limit,
        )
    )


def reminders_due(since: datetime, until: datetime) -> Iterator[appointments.Appointment]:
    """Appointments starting in [since, until] still owed a reminder, earliest first: a query
    on each UTC day's partition of the sparse index, so a window of a day reads one or two
    partitions and never the past; read a page at a time, as the caller consumes them."""
    return (
        _record(item)
        for day in slots.days(since.astimezone(UTC).date(), until.astimezone(UTC).date())
        for item in Appointment.reminders_due.query(
            day.isoformat(),
            range_key_condition=Appointment.start.between(since, until),
            page_size=REMINDER_PAGE,
        )
    )


def mark_reminded(appointment: appointments.Appointment, at: datetime, events: list[Event]) -> bool:
    """Record the reminder and its events together, only if it is still owed: of two
    schedulers that race, one sends it, and a cancelled appointment gets none."""

    def write(tx: TransactWrite) -> None:
        tx.update(
            Appointment(appointment.appointment_id),
            actions=[Appointment.reminder_day.remove(), Appointment.reminded_at.set(at)],
            condition=Appointment.reminder_day.exists() & (Appointment.status == BOOKED),
        )
        for event in events:
            tx.save(outbox.model_of(event))

    return transact(write)


# Appointments of one patient with one practice a care check reads at most: cancelled ones
# are filtered out, and no pair books that many in a year.
CARE_READS = 50


def seen_between(doctor_code: str, matricule: str, since: datetime, until: datetime) -> bool:
    """Whether the patient had a booked appointment with the practice from `since` to
    `until`: one bounded query."""
    found = Appointment.by_doctor_patient.query(
        f"{doctor_code}#{matricule}",
        range_key_condition=Appointment.start.between(since, until),
        filter_condition=Appointment.status == BOOKED,
        page_size=CARE_READS,
    )
    return bool(next(found.page_iter).get("Items"))
