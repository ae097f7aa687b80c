"""Listing a month of free slots, and booking, on in-process moto.

A doctor open 36 slots a weekday has 500 of November 2026's slots booked, and another doctor
has 200; listing the month must cost the same few DynamoDB calls whatever the number of
bookings (one GetItem for the hours, one Query on the doctor's booked slots). DynamoDB calls
are counted with botocore's `before-call` hook on every client PynamoDB uses.

`python -m bench.appointments` prints the figures; `run()` returns them for `make bench`.
Timings include moto, which stands in for DynamoDB: compare them between commits, not with AWS.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, date, datetime
from typing import Any

BOOKED = 500
OTHER_BOOKED = 200
LISTINGS = 30
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
DOCTORS = ("123456-78", "654321-09")
MATRICULE = "1893120105732"


def _fake_aws() -> None:
    """A fake account for moto; set before chalicelib reads table names from the stage."""
    os.environ.pop("AWS_ENDPOINT_URL", None)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "DHN_STAGE": "bench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)


class CallCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1

    def attach(self) -> None:
        from chalicelib.store import schema
        from chalicelib.store.base import connection

        clients = [model._get_connection().connection.client for model in schema.MODELS]
        for client in {id(c): c for c in [*clients, connection().client]}.values():
            client.meta.events.register("before-call.dynamodb", self)


def _measure() -> dict[str, float]:
    from chalicelib import appointments
    from chalicelib.clock import FixedClock
    from chalicelib.domain.slots import Availability, Window
    from chalicelib.identity import Principal
    from chalicelib.store import provision

    provision.create_all()
    clock = FixedClock(datetime(2026, 10, 30, 12, tzinfo=UTC))
    weekly = tuple(
        window
        for day in range(1, 6)
        for window in (Window(day, *_hours("08:00", "12:00")), Window(day, *_hours("13:00", "18:00")))
    )
    patient = Principal(role="patient", scope="bench", matricule=MATRICULE)
    bookings_seconds = 0.0
    for doctor, count in zip(DOCTORS, (BOOKED, OTHER_BOOKED), strict=True):
        practice = Principal(role="doctor", scope=doctor, doctor_code=doctor)
        appointments.publish(practice, Availability(15, weekly), clock)
        free = appointments.free_slots(doctor, *MONTH, clock)
        started = time.perf_counter()
        for slot in free[:count]:
            appointments.book(patient, appointments.Booking(doctor, slot.start, None, None), clock)
        bookings_seconds += time.perf_counter() - started

    counter = CallCounter()
    counter.attach()
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(LISTINGS):
        started, started_cpu = time.perf_counter(), time.process_time()
        free = appointments.free_slots(DOCTORS[0], *MONTH, clock)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "slots_month_median_ms": statistics.median(timings),
        # CPU time of this process: steadier than wall time on a shared machine.
        "slots_month_median_cpu_ms": statistics.median(cpu),
        "slots_month_dynamodb_calls": counter.calls / LISTINGS,
        "slots_month_free": float(len(free)),
        "bookings_per_second": (BOOKED + OTHER_BOOKED) / bookings_seconds,
    }


def _hours(start: str, end: str) -> tuple[Any, Any]:
    from datetime import time as wall

    return wall.fromisoformat(start), wall.fromisoformat(end)


def run() -> dict[str, float]:
    _fake_aws()
    from moto import mock_aws

    with mock_aws():
        return _measure()


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.2f}")
