"""Answers of the appointment routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    AppointmentId,
    Day,
    DoctorCode,
    Instant,
    LocalInstant,
    Matricule,
    Page,
    PatientId,
)


class Window(Answer):
    weekday: Annotated[int, Field(ge=1, le=7, description="1 is Monday (ISO 8601).")]
    start: Annotated[str, Field(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]
    end: Annotated[str, Field(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["12:00"])]


class ClosedDay(Answer):
    date: Day
    closed: Literal[True]


class Availability(Answer):
    """Opening hours in Europe/Luxembourg wall-clock time, cut into slots."""

    slot_minutes: int
    weekly: list[Window]
    exceptions: list[ClosedDay]


class Slot(Answer):
    start: LocalInstant
    end: LocalInstant


class SlotPage(Page):
    """Every free slot of the period, on one page."""

    items: list[Slot]


class Appointment(Answer):
    id: AppointmentId
    doctor_code: DoctorCode
    patient_id: PatientId
    patient_matricule: Matricule
    booked_by: Annotated[
        PatientId,
        Field(description="Who booked it, by `patient_id`: the patient, or a relative acting for them."),
    ]
    start: LocalInstant
    end: LocalInstant
    status: Literal["booked", "cancelled"]
    reason: str | None
    created_at: Instant
    cancelled_at: Instant | None


class AppointmentPage(Page):
    items: list[Appointment]
