"""Listing a month of free slots, and booking, on in-process moto.

A doctor open 36 slots a weekday has 500 of November 2026's slots booked, and another doctor
has 100, each by another patient. Target: listing the month costs the same 2 DynamoDB calls
whatever the number of bookings (one GetItem for the hours, one Query on the doctor's booked
slots). The month is listed 15 times (median ms, wall and CPU); bookings per second is over
the 600 bookings.
Timings include moto, which stands in for DynamoDB: compare them between commits, not with AWS.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime
from typing import Any

from bench import fakeaws
from bench.awscalls import Meter

TARGETS = {"slots_month_dynamodb_calls": 2.0}
BOOKED = 500
OTHER_BOOKED = 100
LISTINGS = 15
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
DOCTORS = (fakeaws.DOCTOR, "654321-09")


def _measure(meter: Meter) -> dict[str, float]:
    from chalicelib.core.clock import FixedClock
    from chalicelib.domain.slots import Availability, Window
    from chalicelib.services import appointments, identity, registry
    from chalicelib.services.identity import Principal

    clock = FixedClock(datetime(2026, 10, 30, 12, tzinfo=UTC))
    weekly = tuple(
        window
        for day in range(1, 6)
        for window in (Window(day, *_hours("08:00", "12:00")), Window(day, *_hours("13:00", "18:00")))
    )
    # One patient a booking at each doctor: a patient holds at most 2 appointments to come with
    # one doctor.
    operator = identity.console_operator("bench")
    patients = []
    for matricule in fakeaws.matricules(BOOKED):
        registry.register(
            operator, matricule, registry.Feed("Marie Schmit", "CNS", "opted_in", True, ()), clock
        )
        patients.append(Principal(role="patient", scope="bench", matricule=matricule))
    bookings_seconds = 0.0
    for doctor, count in zip(DOCTORS, (BOOKED, OTHER_BOOKED), strict=True):
        practice = Principal(role="doctor", scope=doctor, doctor_code=doctor)
        appointments.publish(practice, Availability(15, weekly), clock)
        free = appointments.free_slots(doctor, *MONTH, clock)
        started = time.perf_counter()
        for patient, slot in zip(patients, free[:count], strict=False):
            appointments.book(patient, appointments.Booking(doctor, slot.start, None, None), clock, None)
        bookings_seconds += time.perf_counter() - started

    timings: list[float] = []
    cpu: list[float] = []
    with meter.window() as listings:
        for _ in range(LISTINGS):
            started, started_cpu = time.perf_counter(), time.process_time()
            free = appointments.free_slots(DOCTORS[0], *MONTH, clock)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "slots_month_median_ms": statistics.median(timings),
        # CPU time of this process: steadier than wall time on a shared machine.
        "slots_month_median_cpu_ms": statistics.median(cpu),
        "slots_month_dynamodb_calls": listings.of("dynamodb") / LISTINGS,
        "slots_month_free": float(len(free)),
        "bookings_per_second": (BOOKED + OTHER_BOOKED) / bookings_seconds,
    }


def _hours(start: str, end: str) -> tuple[Any, Any]:
    from datetime import time as wall

    return wall.fromisoformat(start), wall.fromisoformat(end)


def run() -> dict[str, float]:
    with fakeaws.aws() as meter:
        return _measure(meter)


if __name__ == "__main__":
    from bench import table

    table.main(["bench.appointments"])
