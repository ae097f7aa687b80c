"""The scheduled jobs: the worker of the local stack calls every one as EventBridge would, and
the overdue sweep and the reminders stop within their invocation's time, leaving what they
did not reach to the next run, which neither loses nor repeats any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core.clock import FixedClock
from tests.api.conftest import DOCTOR_CODE, Api
from tests.api.test_appointments import CHILD, HOURS, events

PROOF = {"method": "card", "paid_at": "2026-11-20T10:00:00Z"}


def test_every_worker_job_runs(api: Api) -> None:
    from local import worker

    jobs = worker.jobs()
    assert jobs
    for job in jobs:
        job()


class Invocation:
    """A Lambda context with time for `units` units of work: after as many looks at the
    clock, one second is left."""

    def __init__(self, units: int) -> None:
        self.units = units

    def get_remaining_time_in_millis(self) -> int:
        if self.units:
            self.units -= 1
            return 60_000
        return 1_000


def run(api: Api, job: str, units: int) -> None:
    """One run of the scheduled `job`, as Lambda starts it, with time for `units` units."""
    import app

    event = api.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    getattr(app, job)(event, Invocation(units))


def test_the_overdue_sweep_stops_in_time_and_the_next_run_finishes(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    patient = api.patient()
    insurer = api.insurer()
    filed = []
    for _ in range(3):
        invoice = api.invoice(doctor).json
        got = api.post(
            "/v1/patient/claims", patient, {"invoice_id": invoice["id"], "proof_of_payment": PROOF}
        )
        assert got.status == 201, got.body
        filed.append(got.json["id"])
    fixed_clock.advance(timedelta(days=6))

    def overdue() -> list[str]:
        return [c["id"] for page in api.pages("/v1/insurer/claims?overdue=true", insurer, 100) for c in page]

    run(api, "mark_overdue_claims", units=0)
    assert overdue() == []
    run(api, "mark_overdue_claims", units=1)
    assert overdue() == filed[:1]
    run(api, "mark_overdue_claims", units=100)
    assert overdue() == filed
    run(api, "mark_overdue_claims", units=100)
    assert overdue() == filed


def test_reminders_stop_in_time_and_the_next_run_sends_the_rest_once(
    api: Api, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200
    booked: list[dict[str, Any]] = []
    # Wednesday morning, two days ahead; one patient books two at most with one doctor.
    adult, child = api.patient(), api.patient(CHILD)
    for token, start in [(adult, "09:00"), (child, "09:30"), (adult, "10:00")]:
        body = {"doctor_code": DOCTOR_CODE, "start": f"2026-11-25T{start}:00+01:00"}
        got = api.post("/v1/appointments", token, body)
        assert got.status == 201, got.body
        booked.append(got.json)
    fixed_clock.advance(timedelta(days=1))

    def reminded() -> list[str]:
        return sorted(e.data["appointment_id"] for e in events("appointment.reminder"))

    run(api, "appointment_reminders", units=0)
    assert reminded() == []
    run(api, "appointment_reminders", units=2)
    assert reminded() == sorted(a["id"] for a in booked[:2])
    run(api, "appointment_reminders", units=100)
    run(api, "appointment_reminders", units=100)
    assert reminded() == sorted(a["id"] for a in booked)
