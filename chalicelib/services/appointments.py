"""Appointments: a practice publishes its opening hours, patients list free slots and book
them for themselves or a relative, either side cancels, and reminders go out the day before."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.core.time_budget import TimeBudget
from chalicelib.domain import slot_terms as terms
from chalicelib.domain import slots
from chalicelib.domain.appointments import (
    BOOKED,
    CANCELLED,
    MOST_AHEAD,
    MOST_AHEAD_WITH_ONE_DOCTOR,
    REMINDER_LEAD,
    Appointment,
    reminder_owed,
)
from chalicelib.domain.calendar import local_date, local_rfc3339
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.slots import Availability, Slot
from chalicelib.services import journal, relatives
from chalicelib.services.identity import Principal

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page

DEFAULT_RANGE = timedelta(days=6)


@dataclass(frozen=True)
class Booking:
    doctor_code: str
    start: datetime
    patient_matricule: str | None
    reason: str | None


def publish(caller: Principal, availability: Availability, clock: Clock) -> Availability:
    from chalicelib.store import appointments as store

    try:
        slots.check(availability)
    except slots.InvalidAvailability as exc:
        raise Unprocessable.field(exc.field, exc.message) from exc
    store.save_availability(caller.practice(), availability, clock.now())
    return availability


def published(caller: Principal) -> Availability | None:
    from chalicelib.store import appointments as store

    return store.get_availability(caller.practice())


def _hours_of(doctor_code: str) -> Availability | None:
    """The doctor's hours; 404 for a doctor we do not know, None for one without hours."""
    from chalicelib.store import appointments as store
    from chalicelib.store import identity

    found = store.get_availability(doctor_code)
    if found is not None:
        return found
    if identity.get_doctor(doctor_code) is None:
        raise NotFound("no such doctor")
    return None


def free_slots(doctor_code: str, first: date | None, last: date | None, clock: Clock) -> list[Slot]:
    """Free slots from `first` (default today) to `last` (default a week on), inclusive: one
    GetItem for the hours and one Query on this doctor's booked slots, whatever the number
    of other doctors' appointments."""
    from chalicelib.store import appointments as store

    today = local_date(clock.now())
    first = first or today
    last = last or first + DEFAULT_RANGE
    if last < first:
        raise Unprocessable.field("to", "is before from")
    if (last - first).days >= terms.MAX_RANGE_DAYS:
        raise Unprocessable.field("to", f"is more than {terms.MAX_RANGE_DAYS} days after from")
    if (last - today).days > terms.MAX_DAYS_AHEAD:
        raise Unprocessable.field("to", f"is more than {terms.MAX_DAYS_AHEAD} days ahead")
    hours = _hours_of(doctor_code)
    # Days gone by have no free slots; they need not be read.
    first = max(first, today)
    if hours is None or last < first:
        return []
    since, until = slots.day_bounds(first, last)
    booked = store.booked_starts(doctor_code, since, until)
    return slots.free_slots(hours, first, last, booked, clock.now())


def book(caller: Principal, booking: Booking, clock: Clock, once: Once | None) -> Appointment:
    """Book the slot; `once` is the request's idempotency key, recorded with the booking."""
    from chalicelib.store import appointments as store

    booker = relatives.acting_for(caller, clock)
    patient = (
        booker
        if booking.patient_matricule in (None, booker.matricule)
        else relatives.acting_for(caller, clock, matricule=booking.patient_matricule)
    )
    now = clock.now()
    if booking.start <= now:
        raise Unprocessable.field("start", "is in the past")
    if booking.start - now > timedelta(days=terms.MAX_DAYS_AHEAD):
        raise Unprocessable.field("start", f"is more than {terms.MAX_DAYS_AHEAD} days ahead")
    hours = _hours_of(booking.doctor_code)
    slot = slots.slot_at(hours, booking.start) if hours is not None else None
    if slot is None:
        raise Unprocessable.field("start", "is not the start of a slot within the opening hours")
    appointment = Appointment(
        ids.new_id("apt", now),
        doctor_code=booking.doctor_code,
        patient_id=patient.patient_id,
        patient_matricule=patient.matricule,
        booked_by=booker.patient_id,
        booker_matricule=booker.matricule,
        start=slot.start,
        end=slot.end,
        status=BOOKED,
        reason=booking.reason,
        created_at=now,
        reminder_owed=reminder_owed(slot.start, now),
    )
    booked = store.book(appointment, _events("appointment.booked", appointment, now), now, once)
    if booked == "slot taken":
        raise Conflict("this slot is already booked")
    if booked == "patient full":
        raise Unprocessable(f"the patient already has {MOST_AHEAD} appointments to come")
    if booked == "doctor full":
        raise Unprocessable(
            f"the patient already has {MOST_AHEAD_WITH_ONE_DOCTOR} appointments to come with this doctor"
        )
    if booked == "contended":
        raise Conflict("other bookings for this patient are under way; try again")
    return appointment


def booked(caller: Principal, appointment_id: str) -> Appointment:
    """The appointment that a request retried with its Idempotency-Key booked the first
    time, for the patient who booked it."""
    from chalicelib.store import appointments as store

    found = store.get(appointment_id)
    if found is None or found.booker_matricule != caller.matricule:
        raise NotFound("no such appointment")
    return found


def _events(type: str, appointment: Appointment, now: datetime) -> list[Event]:
    """The patient and the practice are told in one event; a relative who booked for the
    patient gets their own copy, without the practice being told twice, and only while they
    may still act for the patient when it is routed."""
    data = _event_data(appointment)
    events = [
        Event(
            ids.new_id("evt", now),
            type,
            now,
            data,
            patient=appointment.patient_matricule,
            doctor_code=appointment.doctor_code,
        )
    ]
    if appointment.booker_matricule != appointment.patient_matricule:
        events.append(
            Event(
                ids.new_id("evt", now),
                type,
                now,
                data,
                patient=appointment.booker_matricule,
                on_behalf_of=appointment.patient_matricule,
            )
        )
    return events


def _event_data(appointment: Appointment) -> dict[str, Any]:
    """Events name patients by `patient_id` only: payloads carry no matricule."""
    return {
        "appointment_id": appointment.appointment_id,
        "doctor_code": appointment.doctor_code,
        "patient_id": appointment.patient_id,
        "booked_by": appointment.booked_by,
        **_times(appointment),
    }


def _times(appointment: Appointment) -> dict[str, Any]:
    return {
        "start": local_rfc3339(appointment.start),
        "end": local_rfc3339(appointment.end),
        "status": appointment.status,
    }


def details(appointment: Appointment) -> dict[str, Any]:
    """What both sides are shown of an appointment in answers: the patient by `patient_id`
    and, in a body, by matricule too."""
    return {
        "doctor_code": appointment.doctor_code,
        "patient_id": appointment.patient_id,
        "patient_matricule": appointment.patient_matricule,
        "booked_by": appointment.booked_by,
        **_times(appointment),
    }


def _canceller(caller: Principal, appointment: Appointment, now: datetime) -> str | None:
    """Who the caller cancels as: the patient or the practice (by their id or "practice"),
    or the relative who booked it while they may still act for the patient; else None."""
    if caller.role != "patient":
        return "practice" if appointment.doctor_code == caller.doctor_code else None
    if caller.matricule == appointment.patient_matricule:
        return appointment.patient_id
    if caller.matricule == appointment.booker_matricule and relatives.still_acts_for(
        appointment.booker_matricule, appointment.patient_matricule, now
    ):
        return appointment.booked_by
    return None


def cancel(caller: Principal, appointment_id: str, clock: Clock) -> None:
    """Cancel and free the slot at once; cancelling a cancelled appointment changes nothing.
    An appointment the caller may not cancel is "not found", so its existence is not
    revealed."""
    from chalicelib.store import appointments as store

    now = clock.now()
    appointment = store.get(appointment_id) if ids.has_prefix(appointment_id, "apt") else None
    by = _canceller(caller, appointment, now) if appointment is not None else None
    if appointment is None or by is None:
        raise NotFound("no such appointment")
    if appointment.status == CANCELLED:
        return
    if appointment.start <= now:
        raise Conflict("the appointment has already begun")
    events = _events("appointment.cancelled", replace(appointment, status=CANCELLED), now)
    # False means the other side cancelled it meanwhile: the outcome the caller asked for.
    store.cancel(appointment, by, now, events)


def for_patient(
    caller: Principal, on_behalf_of: str | None, limit: int, cursor: dict[str, Any] | None, clock: Clock
) -> Page[Appointment]:
    from chalicelib.store import appointments as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of)
    journal.record(caller, "relative.read", patient.matricule, ObjectRef("appointment"), clock)
    return store.for_patient(patient.matricule, limit, cursor)


def for_practice(
    caller: Principal, day: date | None, limit: int, cursor: dict[str, Any] | None, clock: Clock
) -> Page[Appointment]:
    from chalicelib.store import appointments as store

    wanted = day or local_date(clock.now())
    since, until = slots.day_bounds(wanted, wanted)
    return store.for_doctor(caller.practice(), since, until, limit, cursor)


def send_reminders(clock: Clock, budget: TimeBudget) -> int:
    """Remind of every appointment starting within the next 24 hours that is still owed a
    reminder, while the budget lasts; each is marked in the same transaction as its event, so
    it goes out once even when two runs overlap. A marked appointment leaves the index of
    reminders due, so a run stopped by its budget leaves the rest to the next one."""
    from chalicelib.store import appointments as store

    now = clock.now()
    sent = 0
    for appointment in store.reminders_due(now, now + REMINDER_LEAD):
        if not budget.allows_more():
            break
        if store.mark_reminded(appointment, now, _events("appointment.reminder", appointment, now)):
            sent += 1
    return sent
