"""An appointment as both sides know it, when its reminder is owed, and how many a patient
may have yet to begin. The slots it takes are cut by `slots`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Status = Literal["booked", "cancelled"]
BOOKED: Status = "booked"
CANCELLED: Status = "cancelled"

# Reminders go out this long before the appointment starts.
REMINDER_LEAD = timedelta(hours=24)

# The most appointments yet to begin one patient may hold in all, and with one doctor: a
# patient cannot hoard a practice's agenda.
MOST_AHEAD = 10
MOST_AHEAD_WITH_ONE_DOCTOR = 2


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    doctor_code: str
    patient_id: str
    patient_matricule: str
    # The `patient_id` of the patient themself, or of the relative who booked for them.
    booked_by: str
    # The booker's matricule: whose webhooks hear of the appointment, and whose link to the
    # patient is checked again before they do or cancel it.
    booker_matricule: str
    start: datetime
    end: datetime
    status: Status
    reason: str | None
    created_at: datetime
    # Whether the reminder has yet to go out: never for a cancelled appointment.
    reminder_owed: bool
    cancelled_at: datetime | None = None
    # The `patient_id` of the patient or of the relative who cancelled, or "practice".
    cancelled_by: str | None = None
    reminded_at: datetime | None = None


def reminder_owed(start: datetime, booked_at: datetime) -> bool:
    """A reminder is owed only where, at booking, there is still a day to remind of."""
    return start - booked_at > REMINDER_LEAD


def free_place(held: Mapping[int, datetime], places: int, now: datetime) -> int | None:
    """The first of `places` numbered places free for a new booking, given the start of the
    appointment holding each place that is held: a place is free again once its appointment
    has begun, so past appointments stop counting without anything being written. None when
    every place is held by an appointment yet to begin."""
    return next((n for n in range(places) if n not in held or held[n] <= now), None)
