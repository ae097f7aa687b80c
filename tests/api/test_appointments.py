"""Opening hours, slots, booking, cancelling, listing and reminders, through the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bench.awscalls import CallCounter
from chalicelib.core import clock
from chalicelib.core.clock import FixedClock
from chalicelib.services import appointments
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, Answer, Api

OTHER_DOCTOR = "654321-09"
OTHER_ADULT = "1985030400267"
CHILD = "2015061200178"
HOURS = {
    "slot_minutes": 30,
    "weekly": [{"weekday": day, "start": "08:00", "end": "12:00"} for day in range(1, 6)],
    "exceptions": [{"date": "2026-11-26", "closed": True}],
}
# The fixed clock stands at Monday 23 November 2026, 10:30 in Luxembourg.
TOMORROW_8 = "2026-11-24T08:00:00+01:00"
TOMORROW_830 = "2026-11-24T08:30:00+01:00"


@pytest.fixture
def practice(api: Api) -> str:
    token = api.doctor()
    published = api.put("/v1/practice/availability", token, HOURS)
    assert published.status == 200, published.body
    return token


@pytest.fixture
def patient(api: Api) -> str:
    return api.patient()


def book(
    api: Api, token: str, start: str = TOMORROW_8, headers: dict[str, str] | None = None, **fields: Any
) -> Answer:
    body = {"doctor_code": DOCTOR_CODE, "start": start, **fields}
    return api.post("/v1/appointments", token, body, headers=headers)


def events(kind: str) -> list[OutboxEvent]:
    return sorted((e for e in OutboxEvent.scan() if e.type == kind), key=lambda e: e.event_id)


def slot_starts(api: Api, token: str, query: str = "?from=2026-11-24&to=2026-11-24") -> list[str]:
    got = api.get(f"/v1/doctors/{DOCTOR_CODE}/slots{query}", token)
    assert got.status == 200, got.body
    return [s["start"] for s in got.json["items"]]


# Availability


def test_publish_and_read_back_hours(api: Api, practice: str) -> None:
    got = api.get("/v1/practice/availability", practice)
    assert got.status == 200
    assert got.json == HOURS


def test_an_assistant_publishes_hours_too(api: Api, practice: str) -> None:
    code = api.post("/v1/practice/enrolment-codes", practice, {"role": "assistant"}).json["enrolment_code"]
    assistant = api.enrol(code, "Accueil")
    assert api.put("/v1/practice/availability", assistant, {**HOURS, "slot_minutes": 20}).status == 200
    assert api.get("/v1/practice/availability", practice).json["slot_minutes"] == 20


def test_no_hours_published_yet(api: Api) -> None:
    token = api.doctor()
    assert api.get("/v1/practice/availability", token).status == 404
    patient = api.patient()
    assert slot_starts(api, patient) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"slot_minutes": "30"}, "slot_minutes"),
        ({"weekly": [{"weekday": 8, "start": "08:00", "end": "12:00"}]}, "weekly[0].weekday"),
        ({"weekly": [{"weekday": 1, "start": "8h", "end": "12:00"}]}, "weekly[0].start"),
        ({"weekly": [{"weekday": 1, "start": "12:00", "end": "08:00"}]}, "weekly"),
        (
            {
                "weekly": [
                    {"weekday": 1, "start": "08:00", "end": "12:00"},
                    {"weekday": 1, "start": "11:00", "end": "13:00"},
                ]
            },
            "weekly",
        ),
        ({"exceptions": [{"date": "tomorrow", "closed": True}]}, "exceptions[0].date"),
        ({"opening": "always"}, "opening"),
    ],
)
def test_invalid_hours_are_422_naming_the_field(
    api: Api, practice: str, change: dict[str, Any], field: str
) -> None:
    got = api.put("/v1/practice/availability", practice, {**HOURS, **change})
    assert got.status == 422, got.body
    assert field in [e["field"] for e in got.json["errors"]]


def test_hours_are_for_the_practice_only(api: Api, patient: str) -> None:
    assert api.put("/v1/practice/availability", patient, HOURS).status == 403
    assert api.put("/v1/practice/availability", None, HOURS).status == 401


# Slots


def test_slots_carry_the_luxembourg_offset_and_skip_closed_days(
    api: Api, practice: str, patient: str
) -> None:
    got = api.get(f"/v1/doctors/{DOCTOR_CODE}/slots?from=2026-11-23&to=2026-11-27", patient)
    assert got.status == 200
    items = got.json["items"]
    assert items[0] == {"start": "2026-11-23T11:00:00+01:00", "end": "2026-11-23T11:30:00+01:00"}
    days = {s["start"][:10] for s in items}
    assert days == {"2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"}
    assert len(items) == 2 + 3 * 8


def test_days_gone_by_have_no_free_slots(api: Api, practice: str, patient: str) -> None:
    assert slot_starts(api, patient, "?from=2026-11-02&to=2026-11-20") == []
    assert slot_starts(api, patient, "?from=2026-11-20&to=2026-11-23") == [
        "2026-11-23T11:00:00+01:00",
        "2026-11-23T11:30:00+01:00",
    ]


def test_slots_default_to_the_coming_week(api: Api, practice: str, patient: str) -> None:
    items = slot_starts(api, patient, "")
    assert items[0] == "2026-11-23T11:00:00+01:00"
    assert items[-1] == "2026-11-27T11:30:00+01:00"


def test_slots_in_the_week_the_clocks_go_forward(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    fixed_clock.advance(-timedelta(days=250))  # 17 March 2026
    items = slot_starts(api, patient, "?from=2026-03-27&to=2026-03-30")
    assert items[0] == "2026-03-27T08:00:00+01:00"
    assert items[8] == "2026-03-30T08:00:00+02:00"


def test_slots_and_booking_in_the_week_the_clocks_go_back(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    fixed_clock.advance(-timedelta(days=33))  # 21 October 2026
    items = slot_starts(api, patient, "?from=2026-10-23&to=2026-10-26")
    assert items[0] == "2026-10-23T08:00:00+02:00"
    assert items[8] == "2026-10-26T08:00:00+01:00"
    booked = book(api, patient, start="2026-10-26T07:00:00Z")
    assert booked.status == 201, booked.body
    assert booked.json["start"] == "2026-10-26T08:00:00+01:00"
    assert booked.json["end"] == "2026-10-26T08:30:00+01:00"
    assert book(api, patient, start="2026-10-26T06:00:00Z").status == 422  # 07:00 in Luxembourg


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?from=2026-11-30&to=2026-11-24", 422, "to"),
        ("?from=2026-11-24&to=2027-02-24", 422, "to"),
        ("?from=24.11.2026", 422, "from"),
        ("?from=9999-12-31&to=9999-12-31", 422, "from"),
        ("?from=2027-12-01&to=2027-12-02", 422, "to"),
    ],
)
def test_bad_slot_ranges(api: Api, practice: str, patient: str, query: str, status: int, field: str) -> None:
    got = api.get(f"/v1/doctors/{DOCTOR_CODE}/slots{query}", patient)
    assert got.status == status, got.body
    assert got.json["errors"][0]["field"] == field


def test_slots_of_an_unknown_doctor(api: Api, patient: str) -> None:
    assert api.get(f"/v1/doctors/{OTHER_DOCTOR}/slots", patient).status == 404
    assert api.get("/v1/doctors/12/slots", patient).status == 422


def test_slots_are_for_patients(api: Api, practice: str) -> None:
    assert api.get(f"/v1/doctors/{DOCTOR_CODE}/slots", practice).status == 403


# Booking


def test_book_for_oneself(api: Api, practice: str, patient: str) -> None:
    got = book(api, patient, reason="Contrôle annuel")
    assert got.status == 201, got.body
    body = got.json
    assert body["id"].startswith("apt_")
    assert {
        k: body[k]
        for k in ("doctor_code", "patient_id", "patient_matricule", "booked_by", "start", "end", "status")
    } == {
        "doctor_code": DOCTOR_CODE,
        "patient_id": api.ids[ADULT],
        "patient_matricule": ADULT,
        "booked_by": api.ids[ADULT],
        "start": TOMORROW_8,
        "end": TOMORROW_830,
        "status": "booked",
    }
    assert TOMORROW_8 not in slot_starts(api, patient)
    [booked] = events("appointment.booked")
    assert (booked.patient, booked.doctor_code) == (ADULT, DOCTOR_CODE)
    assert booked.on_behalf_of is None
    assert booked.data == {
        "appointment_id": body["id"],
        **{k: body[k] for k in ("doctor_code", "patient_id", "booked_by", "start", "end", "status")},
    }


def test_the_same_instant_in_utc_is_the_same_slot(api: Api, practice: str, patient: str) -> None:
    assert book(api, patient, start="2026-11-24T07:00:00Z").status == 201
    other = api.patient(OTHER_ADULT)
    assert book(api, other, start=TOMORROW_8).status == 409


def test_a_taken_slot_is_409(api: Api, practice: str, patient: str) -> None:
    assert book(api, patient).status == 201
    other = api.patient(OTHER_ADULT)
    got = book(api, other)
    assert got.status == 409
    assert got.headers["content-type"] == "application/problem+json"
    assert len(events("appointment.booked")) == 1


@pytest.mark.parametrize(
    ("start", "field"),
    [
        ("2026-11-24T08:15:00+01:00", "start"),  # not a boundary
        ("2026-11-24T12:00:00+01:00", "start"),  # closing time
        ("2026-11-26T08:00:00+01:00", "start"),  # closed that day
        ("2026-11-28T08:00:00+01:00", "start"),  # Saturday
        ("2026-11-23T08:00:00+01:00", "start"),  # this morning, already past
        ("2026-11-24T08:00:00", "start"),  # no offset: which 08:00?
        ("2027-11-30T08:00:00+01:00", "start"),  # more than a year ahead
        ("9999-12-31T23:30:00-05:00", "start"),
        ("0001-01-01T00:30:00+05:00", "start"),
        ("soon", "start"),
    ],
)
def test_not_a_bookable_slot_is_422(api: Api, practice: str, patient: str, start: str, field: str) -> None:
    got = book(api, patient, start=start)
    assert got.status == 422, got.body
    assert got.json["errors"][0]["field"] == field


def test_booking_with_an_unknown_doctor(api: Api, patient: str) -> None:
    got = api.post("/v1/appointments", patient, {"doctor_code": OTHER_DOCTOR, "start": TOMORROW_8})
    assert got.status == 404


def test_booking_is_for_patients(api: Api, practice: str) -> None:
    got = api.post("/v1/appointments", practice, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8})
    assert got.status == 403


def test_a_retried_booking_answers_the_same(api: Api, practice: str, patient: str) -> None:
    key = {"idempotency-key": "book-1"}
    first = api.post(
        "/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8}, headers=key
    )
    again = api.post(
        "/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8}, headers=key
    )
    assert first.status == again.status == 201
    assert first.json == again.json


# Cancelling


def test_cancel_frees_the_slot_at_once(api: Api, practice: str, patient: str) -> None:
    booked = book(api, patient).json
    assert api.delete(f"/v1/appointments/{booked['id']}", patient).status == 204
    assert TOMORROW_8 in slot_starts(api, patient)
    other = api.patient(OTHER_ADULT)
    assert book(api, other).status == 201
    [cancelled] = events("appointment.cancelled")
    assert (cancelled.patient, cancelled.doctor_code) == (ADULT, DOCTOR_CODE)
    assert cancelled.data["status"] == "cancelled"
    mine = api.get("/v1/patient/appointments", patient).json["items"]
    assert [a["status"] for a in mine] == ["cancelled"]


def test_cancelling_twice_changes_nothing(api: Api, practice: str, patient: str) -> None:
    booked = book(api, patient).json
    assert api.delete(f"/v1/appointments/{booked['id']}", patient).status == 204
    assert api.delete(f"/v1/appointments/{booked['id']}", practice).status == 204
    assert len(events("appointment.cancelled")) == 1


def test_the_practice_cancels(api: Api, practice: str, patient: str) -> None:
    booked = book(api, patient).json
    assert api.delete(f"/v1/appointments/{booked['id']}", practice).status == 204
    assert TOMORROW_8 in slot_starts(api, patient)


def test_another_patients_or_practices_appointment_is_404(api: Api, practice: str, patient: str) -> None:
    booked = book(api, patient).json
    stranger = api.patient(OTHER_ADULT)
    other_practice = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    assert api.delete(f"/v1/appointments/{booked['id']}", stranger).status == 404
    assert api.delete(f"/v1/appointments/{booked['id']}", other_practice).status == 404
    assert api.delete("/v1/appointments/apt_nothing", patient).status == 404
    assert api.delete("/v1/appointments/apt_01KAAAAAAAAAAAAAAAAAAAAAAA", patient).status == 404
    assert TOMORROW_8 not in slot_starts(api, patient)


def test_an_appointment_that_began_cannot_be_cancelled(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    booked = book(api, patient).json
    fixed_clock.advance(timedelta(days=1))
    assert api.delete(f"/v1/appointments/{booked['id']}", api.login()).status == 409


# Listing


def test_patient_lists_own_appointments_in_order(api: Api, practice: str, patient: str) -> None:
    book(api, patient, start="2026-11-25T09:00:00+01:00")
    book(api, patient, start=TOMORROW_8)
    book(api, api.patient(OTHER_ADULT), start=TOMORROW_830)
    got = api.get("/v1/patient/appointments", patient)
    assert got.status == 200
    assert [a["start"] for a in got.json["items"]] == [TOMORROW_8, "2026-11-25T09:00:00+01:00"]
    page = api.get("/v1/patient/appointments?limit=1", patient).json
    assert len(page["items"]) == 1
    rest = api.get(f"/v1/patient/appointments?limit=1&cursor={page['next_cursor']}", patient).json
    assert [a["start"] for a in rest["items"]] == ["2026-11-25T09:00:00+01:00"]


def test_practice_lists_the_days_appointments_and_only_its_own(api: Api, practice: str, patient: str) -> None:
    book(api, patient, start=TOMORROW_830)
    book(api, patient, start="2026-11-25T09:00:00+01:00")
    other_practice = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    api.put("/v1/practice/availability", other_practice, HOURS)
    api.post("/v1/appointments", patient, {"doctor_code": OTHER_DOCTOR, "start": TOMORROW_8})
    got = api.get("/v1/practice/appointments?date=2026-11-24", practice)
    assert got.status == 200
    assert [(a["start"], a["patient_matricule"]) for a in got.json["items"]] == [(TOMORROW_830, ADULT)]
    assert api.get("/v1/practice/appointments", practice).json["items"] == []
    theirs = api.get("/v1/practice/appointments?date=2026-11-24", other_practice).json["items"]
    assert [a["doctor_code"] for a in theirs] == [OTHER_DOCTOR]
    assert api.get("/v1/practice/appointments?date=tomorrow", practice).status == 422
    assert api.get("/v1/practice/appointments?date=9999-12-31", practice).status == 422
    assert api.get("/v1/practice/appointments", patient).status == 403


# Reminders


def remind(api: Api) -> None:
    """One run of the schedule, as EventBridge would start it."""
    event = api.client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    api.client.lambda_.invoke("appointment_reminders", event)


def test_a_reminder_goes_out_once_about_a_day_before(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    booked = book(api, patient, start="2026-11-25T09:00:00+01:00").json  # 08:00Z, 46 h 30 ahead
    remind(api)
    fixed_clock.advance(timedelta(hours=22, minutes=25))  # 24 h 05 before
    remind(api)
    assert events("appointment.reminder") == []
    fixed_clock.advance(timedelta(minutes=10))  # 23 h 55 before
    remind(api)
    remind(api)
    fixed_clock.advance(timedelta(hours=5))
    remind(api)
    [reminder] = events("appointment.reminder")
    assert (reminder.patient, reminder.doctor_code) == (ADULT, DOCTOR_CODE)
    assert reminder.data["appointment_id"] == booked["id"]
    assert reminder.data["start"] == "2026-11-25T09:00:00+01:00"


def test_no_reminder_for_a_cancelled_appointment(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    booked = book(api, patient, start="2026-11-25T09:00:00+01:00").json
    api.delete(f"/v1/appointments/{booked['id']}", patient)
    fixed_clock.advance(timedelta(hours=23))
    remind(api)
    assert events("appointment.reminder") == []


def test_no_reminder_for_a_booking_made_within_the_day(api: Api, practice: str, patient: str) -> None:
    book(api, patient, start=TOMORROW_8)  # 21 h 30 ahead: the booking itself is the reminder
    remind(api)
    assert events("appointment.reminder") == []


# Cost


def test_listing_a_month_costs_two_calls_whatever_others_booked(
    api: Api, practice: str, patient: str
) -> None:
    other_practice = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    api.put("/v1/practice/availability", other_practice, HOURS)
    for start in ("2026-11-24T08:00:00+01:00", "2026-11-25T08:00:00+01:00", "2026-11-27T09:00:00+01:00"):
        api.post("/v1/appointments", patient, {"doctor_code": OTHER_DOCTOR, "start": start})
    book(api, patient)
    counter = CallCounter()
    counter.attach()
    free = appointments.free_slots(DOCTOR_CODE, date(2026, 11, 1), date(2026, 11, 30), clock.current())
    assert counter.calls == 2
    assert len(free) == 2 + (8 - 1) + 8 + 8 + 8  # the 26th is closed


# Limits


def doctors(api: Api, count: int) -> list[str]:
    """`count` more practices with the same hours; their doctor codes."""
    codes = [f"70000{n}-00" for n in range(count)]
    for code in codes:
        assert api.put("/v1/practice/availability", api.doctor(code, f"Dr {code}"), HOURS).status == 200
    return codes


def test_two_appointments_to_come_with_one_doctor_at_most(api: Api, practice: str, patient: str) -> None:
    assert book(api, patient, start=TOMORROW_8).status == 201
    assert book(api, patient, start=TOMORROW_830).status == 201
    third = book(api, patient, start="2026-11-25T09:00:00+01:00")
    assert third.status == 422, third.body
    assert third.headers["content-type"] == "application/problem+json"
    assert "with this doctor" in third.json["detail"]
    [other] = doctors(api, 1)
    assert book(api, patient, start="2026-11-25T09:00:00+01:00", doctor_code=other).status == 201


def test_ten_appointments_to_come_at_most(api: Api, practice: str, patient: str) -> None:
    *others, eleventh = doctors(api, 5)
    for code in [DOCTOR_CODE, *others]:
        for start in (TOMORROW_8, TOMORROW_830):
            assert book(api, patient, start=start, doctor_code=code).status == 201
    got = book(api, patient, start=TOMORROW_8, doctor_code=eleventh)
    assert got.status == 422, got.body
    assert "10 appointments" in got.json["detail"]
    # Another patient's appointments count on their own.
    assert book(api, api.patient(OTHER_ADULT), start=TOMORROW_8, doctor_code=eleventh).status == 201


def test_cancelling_gives_the_place_back(api: Api, practice: str, patient: str) -> None:
    first = book(api, patient, start=TOMORROW_8).json
    assert book(api, patient, start=TOMORROW_830).status == 201
    assert book(api, patient, start="2026-11-25T09:00:00+01:00").status == 422
    assert api.delete(f"/v1/appointments/{first['id']}", patient).status == 204
    assert book(api, patient, start="2026-11-25T09:00:00+01:00").status == 201


def test_an_appointment_that_began_no_longer_counts(
    api: Api, practice: str, patient: str, fixed_clock: FixedClock
) -> None:
    assert book(api, patient, start=TOMORROW_8).status == 201
    assert book(api, patient, start="2026-11-25T09:00:00+01:00").status == 201
    assert book(api, patient, start="2026-11-25T09:30:00+01:00").status == 422
    fixed_clock.advance(timedelta(days=1))  # Tuesday 10:30: the 08:00 one began
    assert book(api, api.login(), start="2026-11-25T09:30:00+01:00").status == 201
    assert book(api, api.login(), start="2026-11-25T10:00:00+01:00").status == 422


def test_two_racing_bookings_for_the_last_place(api: Api, practice: str, patient: str) -> None:
    """Both read the last place as free before either writes: the second transaction finds it
    taken, reads again and finds no place left."""
    from chalicelib.store import appointments as store

    assert book(api, patient, start=TOMORROW_8).status == 201
    read = store._places
    raced = False
    answers: list[Answer] = []

    def racing(holder: str) -> dict[int, store.Place]:
        nonlocal raced
        seen = read(holder)
        if not raced and "/" in holder:
            raced = True
            answers.append(book(api, patient, start="2026-11-25T09:30:00+01:00"))
        return seen

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "_places", racing)
        late = book(api, patient, start="2026-11-25T09:00:00+01:00")
    assert [a.status for a in answers] == [201]
    assert late.status == 422, late.body
    mine = api.get("/v1/patient/appointments", patient).json["items"]
    assert [a["start"] for a in mine] == [TOMORROW_8, "2026-11-25T09:30:00+01:00"]
