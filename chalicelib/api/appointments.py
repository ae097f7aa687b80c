"""Appointments: the practice's opening hours and agenda, the patient's slots and bookings."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import PATIENT, PRACTICE, Call, Reply, route
from chalicelib.api.fields import (
    ActingFor,
    Body,
    Day,
    DoctorCode,
    Instant,
    ListQuery,
    PatientId,
    Query,
    Text,
    rule,
)
from chalicelib.core import clock
from chalicelib.core.errors import NotFound, Unprocessable
from chalicelib.domain import doctor_code
from chalicelib.domain import slot_terms as terms
from chalicelib.domain.calendar import local_rfc3339, rfc3339, rfc3339_or_none

if TYPE_CHECKING:
    from chalicelib.domain import slots
    from chalicelib.domain.appointments import Appointment

bp = Blueprint(__name__)

HourMinute = Annotated[str, Field(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]


class WindowIn(Body):
    weekday: Annotated[int, Field(ge=1, le=7, description="1 is Monday (ISO 8601).")]
    start: HourMinute
    end: Annotated[HourMinute, Field(examples=["12:00"])]


class ExceptionIn(Body):
    date: Day
    closed: bool = True


class AvailabilityIn(Body):
    slot_minutes: Annotated[int, Field(ge=terms.MIN_SLOT_MINUTES, le=terms.MAX_SLOT_MINUTES)]
    weekly: Annotated[
        tuple[WindowIn, ...],
        Field(
            max_length=50,
            description="Wall-clock hours in Europe/Luxembourg.",
            json_schema_extra=rule("each window ends after it starts; windows of one weekday do not overlap"),
        ),
    ]
    exceptions: Annotated[tuple[ExceptionIn, ...], Field(max_length=400)] = ()


class SlotQuery(Query):
    from_: Annotated[Day | None, Field(alias="from", description="Today where absent.")] = None
    to: Annotated[
        Day | None,
        Field(
            description="A week after `from` where absent.",
            json_schema_extra=rule(
                f"not before `from`, less than {terms.MAX_RANGE_DAYS} days after it, "
                f"and at most {terms.MAX_DAYS_AHEAD} days ahead"
            ),
        ),
    ] = None


class NewAppointment(Body):
    doctor_code: DoctorCode
    start: Annotated[
        Instant,
        Field(
            json_schema_extra=rule(
                f"the start of a free slot in the doctor's opening hours, "
                f"in the future and at most {terms.MAX_DAYS_AHEAD} days ahead"
            )
        ),
    ]
    patient_matricule: ActingFor | None = None
    reason: Text | None = None


class PatientAppointmentQuery(ListQuery):
    for_: Annotated[PatientId | None, Field(alias="for")] = None


class PracticeAppointmentQuery(ListQuery):
    day: Annotated[Day | None, Field(alias="date", description="Today where absent.")] = None


def availability_json(availability: slots.Availability) -> dict[str, object]:
    return {
        "slot_minutes": availability.slot_minutes,
        "weekly": [
            {"weekday": w.weekday, "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")}
            for w in sorted(availability.weekly)
        ],
        "exceptions": [{"date": d.isoformat(), "closed": True} for d in sorted(availability.closed)],
    }


def appointment_json(appointment: Appointment) -> dict[str, object]:
    from chalicelib.services import appointments

    return {
        "id": appointment.appointment_id,
        **appointments.details(appointment),
        "reason": appointment.reason,
        "created_at": rfc3339(appointment.created_at),
        "cancelled_at": rfc3339_or_none(appointment.cancelled_at),
    }


def _path_doctor_code(call: Call) -> str:
    try:
        return doctor_code.normalize(call.params["doctor_code"])
    except ValueError as exc:
        raise Unprocessable.field("doctor_code", str(exc)) from exc


def _booked(call: Call, appointment_id: str) -> dict[str, object]:
    """The booking a retried request made first."""
    from chalicelib.services import appointments

    return appointment_json(appointments.booked(call.me, appointment_id))


@route(bp, "/practice/availability", method="PUT", roles=PRACTICE, body=AvailabilityIn, answer="Availability")
def publish_availability(call: Call) -> dict[str, object]:
    """The practice's opening hours, cut into slots."""
    from chalicelib.domain import slots
    from chalicelib.services import appointments

    body = call.body(AvailabilityIn)
    availability = slots.Availability(
        slot_minutes=body.slot_minutes,
        weekly=tuple(
            slots.Window(w.weekday, time.fromisoformat(w.start), time.fromisoformat(w.end))
            for w in body.weekly
        ),
        closed=frozenset(e.date for e in body.exceptions if e.closed),
    )
    return availability_json(appointments.publish(call.me, availability, clock.current()))


@route(bp, "/practice/availability", roles=PRACTICE, answer="Availability", errors=(404,))
def get_availability(call: Call) -> dict[str, object]:
    """The practice's opening hours as last published.

    An addition to the contract, so software can read back what it set; 404 before any.
    """
    from chalicelib.services import appointments

    found = appointments.published(call.me)
    if found is None:
        raise NotFound("no opening hours published yet")
    return availability_json(found)


@route(bp, "/doctors/{doctor_code}/slots", roles=PATIENT, query=SlotQuery, answer="SlotPage", errors=(404,))
def free_slots(call: Call) -> dict[str, object]:
    """A doctor's free slots, from `from` to `to` (both included)."""
    from chalicelib.services import appointments

    query = call.args(SlotQuery)
    found = appointments.free_slots(_path_doctor_code(call), query.from_, query.to, clock.current())
    return {
        "items": [{"start": local_rfc3339(s.start), "end": local_rfc3339(s.end)} for s in found],
        "next_cursor": None,
    }


@route(
    bp,
    "/appointments",
    method="POST",
    roles=PATIENT,
    status=201,
    body=NewAppointment,
    answer="Appointment",
    replay=_booked,
    errors=(404,),
)
def book(call: Call) -> dict[str, object]:
    """Book a slot, for oneself or a relative one may act for.

    A doctor unknown to DHN is 404; a taken slot, 409.
    """
    from chalicelib.services import appointments

    body = call.body(NewAppointment)
    booking = appointments.Booking(body.doctor_code, body.start, body.patient_matricule, body.reason)
    return appointment_json(appointments.book(call.me, booking, clock.current(), call.once))


@route(
    bp, "/appointments/{appointment_id}", method="DELETE", roles=PATIENT | PRACTICE, status=204, errors=(409,)
)
def cancel(call: Call) -> Reply:
    """Cancel an appointment; the slot is free again.

    For the patient, who booked it, or the practice; once it has begun, 409.
    """
    from chalicelib.services import appointments

    appointments.cancel(call.me, call.params["appointment_id"], clock.current())
    return Reply(None, 204)


@route(bp, "/patient/appointments", roles=PATIENT, query=PatientAppointmentQuery, answer="AppointmentPage")
def patient_appointments(call: Call) -> dict[str, object]:
    """The patient's appointments, and those they booked for relatives."""
    from chalicelib.services import appointments

    query = call.args(PatientAppointmentQuery)
    page = appointments.for_patient(call.me, query.for_, query.limit, query.cursor, clock.current())
    return {"items": [appointment_json(a) for a in page.items], "next_cursor": page.next_cursor}


@route(bp, "/practice/appointments", roles=PRACTICE, query=PracticeAppointmentQuery, answer="AppointmentPage")
def practice_appointments(call: Call) -> dict[str, object]:
    """The practice's appointments of one day."""
    from chalicelib.services import appointments

    query = call.args(PracticeAppointmentQuery)
    page = appointments.for_practice(call.me, query.day, query.limit, query.cursor, clock.current())
    return {"items": [appointment_json(a) for a in page.items], "next_cursor": page.next_cursor}
