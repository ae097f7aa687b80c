"""Appointments: the practice's opening hours and agenda, the patient's slots and bookings."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.api.edge import PATIENT, PRACTICE, Call, Reply, route
from chalicelib.api.fields import Body, DoctorCode, ListQuery, Matricule, Text
from chalicelib.core import clock
from chalicelib.core.errors import NotFound, Unprocessable
from chalicelib.domain import doctor_code, slots
from chalicelib.domain.calendar import local_rfc3339, rfc3339, rfc3339_or_none
from chalicelib.services import appointments

if TYPE_CHECKING:
    from chalicelib.store.appointments import Appointment

bp = Blueprint(__name__)

HourMinute = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
# A calendar day far from the ends of Python's calendar, so day arithmetic cannot overflow.
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]


class WindowIn(Body):
    weekday: Annotated[int, Field(ge=1, le=7)]
    start: HourMinute
    end: HourMinute


class ExceptionIn(Body):
    date: Day
    closed: bool = True


class AvailabilityIn(Body):
    slot_minutes: Annotated[int, Field(ge=slots.MIN_SLOT_MINUTES, le=slots.MAX_SLOT_MINUTES)]
    weekly: Annotated[tuple[WindowIn, ...], Field(max_length=50)]
    exceptions: Annotated[tuple[ExceptionIn, ...], Field(max_length=400)] = ()


class SlotQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None


class NewAppointment(Body):
    doctor_code: DoctorCode
    start: AwareDatetime
    patient_matricule: Matricule | None = None
    reason: Text | None = None


class PatientAppointmentQuery(ListQuery):
    for_: Matricule | None = Field(default=None, alias="for")


class PracticeAppointmentQuery(ListQuery):
    day: Day | None = Field(default=None, alias="date")


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


@route(bp, "/practice/availability", method="PUT", roles=PRACTICE)
def publish_availability(call: Call) -> dict[str, object]:
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


@route(bp, "/practice/availability", roles=PRACTICE)
def get_availability(call: Call) -> dict[str, object]:
    found = appointments.published(call.me)
    if found is None:
        raise NotFound("no opening hours published yet")
    return availability_json(found)


@route(bp, "/doctors/{doctor_code}/slots", roles=PATIENT)
def free_slots(call: Call) -> dict[str, object]:
    query = call.args(SlotQuery)
    found = appointments.free_slots(_path_doctor_code(call), query.from_, query.to, clock.current())
    return {
        "items": [{"start": local_rfc3339(s.start), "end": local_rfc3339(s.end)} for s in found],
        "next_cursor": None,
    }


@route(bp, "/appointments", method="POST", roles=PATIENT, status=201, idempotent=True)
def book(call: Call) -> dict[str, object]:
    body = call.body(NewAppointment)
    booking = appointments.Booking(body.doctor_code, body.start, body.patient_matricule, body.reason)
    return appointment_json(appointments.book(call.me, booking, clock.current()))


@route(bp, "/appointments/{appointment_id}", method="DELETE", roles=PATIENT | PRACTICE)
def cancel(call: Call) -> Reply:
    appointments.cancel(call.me, call.params["appointment_id"], clock.current())
    return Reply(None, 204)


@route(bp, "/patient/appointments", roles=PATIENT)
def patient_appointments(call: Call) -> dict[str, object]:
    query = call.args(PatientAppointmentQuery)
    page = appointments.for_patient(call.me, query.for_, query.limit, query.cursor, clock.current())
    return {"items": [appointment_json(a) for a in page.items], "next_cursor": page.next_cursor}


@route(bp, "/practice/appointments", roles=PRACTICE)
def practice_appointments(call: Call) -> dict[str, object]:
    query = call.args(PracticeAppointmentQuery)
    page = appointments.for_practice(call.me, query.day, query.limit, query.cursor, clock.current())
    return {"items": [appointment_json(a) for a in page.items], "next_cursor": page.next_cursor}
