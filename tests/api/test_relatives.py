"""Relatives: linking, accepting, ending, and acting for a relative when booking and reading
documents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, Answer, Api
from tests.api.test_appointments import HOURS, TOMORROW_8, TOMORROW_830

CHILD = "2015061200178"
SPOUSE = "1985030400267"
STRANGER = "1990010100324"
TURNS_18_TOMORROW = "2008112400640"


@pytest.fixture
def parent(api: Api) -> str:
    practice = api.doctor()
    assert api.put("/v1/practice/availability", practice, HOURS).status == 200
    return api.patient(ADULT)


def link(api: Api, token: str, matricule: str, relationship: str = "child") -> Answer:
    return api.post("/v1/patient/relatives", token, {"matricule": matricule, "relationship": relationship})


def book_for(api: Api, token: str, matricule: str | None, start: str = TOMORROW_8) -> Answer:
    body = {"doctor_code": DOCTOR_CODE, "start": start}
    if matricule is not None:
        body["patient_matricule"] = matricule
    return api.post("/v1/appointments", token, body)


def test_book_for_a_child_linked_at_once(api: Api, parent: str) -> None:
    linked = link(api, parent, CHILD)
    assert linked.status == 201, linked.body
    assert linked.json == {
        "matricule": CHILD,
        "relationship": "child",
        "status": "active",
        "direction": "acts_for",
        "usable": True,
    }
    got = book_for(api, parent, CHILD)
    assert got.status == 201, got.body
    assert (got.json["patient_matricule"], got.json["booked_by"]) == (CHILD, ADULT)
    booked = [e for e in OutboxEvent.scan() if e.type == "appointment.booked"]
    assert sorted((e.patient, e.doctor_code) for e in booked) == [(ADULT, None), (CHILD, DOCTOR_CODE)]


def test_the_booker_lists_and_cancels_the_childs_appointment(api: Api, parent: str) -> None:
    link(api, parent, CHILD)
    booked = book_for(api, parent, CHILD).json
    listed = api.get(f"/v1/patient/appointments?for={CHILD}", parent)
    assert [a["id"] for a in listed.json["items"]] == [booked["id"]]
    assert api.get("/v1/patient/appointments", parent).json["items"] == []
    assert api.delete(f"/v1/appointments/{booked['id']}", parent).status == 204
    cancelled = [e for e in OutboxEvent.scan() if e.type == "appointment.cancelled"]
    assert sorted(e.patient for e in cancelled if e.patient) == sorted([ADULT, CHILD])


def test_an_adult_link_is_pending_until_accepted(api: Api, parent: str) -> None:
    spouse = api.patient(SPOUSE)
    pending = link(api, parent, SPOUSE, "spouse")
    assert pending.status == 201
    assert (pending.json["status"], pending.json["usable"]) == ("pending", False)
    assert book_for(api, parent, SPOUSE).status == 403
    assert api.get(f"/v1/patient/appointments?for={SPOUSE}", parent).status == 403

    incoming = api.get("/v1/patient/relatives", spouse).json["items"]
    assert incoming == [
        {
            "matricule": ADULT,
            "relationship": "spouse",
            "status": "pending",
            "direction": "acted_for_by",
            "usable": False,
        }
    ]
    accepted = api.post(f"/v1/patient/relatives/{ADULT}/accept", spouse)
    assert accepted.status == 200, accepted.body
    assert (accepted.json["status"], accepted.json["usable"]) == ("active", True)
    assert api.post(f"/v1/patient/relatives/{ADULT}/accept", spouse).status == 200
    assert book_for(api, parent, SPOUSE).status == 201


def test_only_the_relative_can_accept(api: Api, parent: str) -> None:
    api.patient(SPOUSE)
    link(api, parent, SPOUSE, "spouse")
    stranger = api.patient(STRANGER)
    assert api.post(f"/v1/patient/relatives/{ADULT}/accept", stranger).status == 404
    assert api.post(f"/v1/patient/relatives/{SPOUSE}/accept", parent).status == 404
    assert book_for(api, parent, SPOUSE).status == 403


@pytest.mark.parametrize("ended_by", ["requester", "relative"])
def test_ending_a_link_from_either_side(api: Api, parent: str, ended_by: str) -> None:
    spouse = api.patient(SPOUSE)
    link(api, parent, SPOUSE, "spouse")
    api.post(f"/v1/patient/relatives/{ADULT}/accept", spouse)
    assert book_for(api, parent, SPOUSE).status == 201
    if ended_by == "requester":
        assert api.delete(f"/v1/patient/relatives/{SPOUSE}", parent).status == 204
    else:
        assert api.delete(f"/v1/patient/relatives/{ADULT}", spouse).status == 204
    assert book_for(api, parent, SPOUSE, TOMORROW_830).status == 403
    assert api.get("/v1/patient/relatives", parent).json["items"] == []
    assert api.delete(f"/v1/patient/relatives/{SPOUSE}", parent).status == 404


def test_acting_for_a_stranger_is_403(api: Api, parent: str) -> None:
    assert book_for(api, parent, STRANGER).status == 403
    assert api.get(f"/v1/patient/documents?for={STRANGER}", parent).status == 403


def test_booking_for_oneself_by_matricule_needs_no_link(api: Api, parent: str) -> None:
    assert book_for(api, parent, ADULT).status == 201


def test_a_link_made_for_a_minor_lapses_at_18(api: Api, parent: str, fixed_clock: FixedClock) -> None:
    assert link(api, parent, TURNS_18_TOMORROW).json["status"] == "active"
    assert book_for(api, parent, TURNS_18_TOMORROW).status == 201
    fixed_clock.advance(timedelta(days=1))
    parent = api.login(ADULT)
    assert book_for(api, parent, TURNS_18_TOMORROW, "2026-11-25T08:00:00+01:00").status == 403
    now_adult = api.patient(TURNS_18_TOMORROW)
    assert api.post(f"/v1/patient/relatives/{ADULT}/accept", now_adult).status == 200
    assert book_for(api, parent, TURNS_18_TOMORROW, "2026-11-25T08:00:00+01:00").status == 201


def test_documents_for_a_relative_follow_the_link(api: Api, parent: str) -> None:
    practice = api.doctor("111111-11", "Dr Lea Hoffmann")
    api.patient(CHILD)
    issued = api.invoice(practice, CHILD)
    assert issued.status == 201, issued.body
    document_id = issued.json["vault"]["document_id"]
    assert api.get(f"/v1/patient/documents?for={CHILD}", parent).status == 403
    link(api, parent, CHILD)
    listed = api.get(f"/v1/patient/documents?for={CHILD}", parent)
    assert listed.status == 200
    assert [d["id"] for d in listed.json["items"]] == [document_id]
    one = api.get(f"/v1/patient/documents/{document_id}?for={CHILD}", parent)
    assert one.status == 200
    assert api.get(f"/v1/patient/documents/{document_id}", parent).status == 404
    api.delete(f"/v1/patient/relatives/{CHILD}", parent)
    assert api.get(f"/v1/patient/documents?for={CHILD}", parent).status == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"matricule": ADULT, "relationship": "child"}, 422, "matricule"),
        ({"matricule": "1893120105733", "relationship": "child"}, 422, "matricule"),
        ({"matricule": CHILD, "relationship": "cousin"}, 422, "relationship"),
        ({"matricule": CHILD}, 422, "relationship"),
    ],
)
def test_invalid_links(api: Api, parent: str, body: dict[str, str], status: int, field: str) -> None:
    got = api.post("/v1/patient/relatives", parent, body)
    assert got.status == status, got.body
    assert got.json["errors"][0]["field"] == field


def test_the_same_link_twice_is_409(api: Api, parent: str) -> None:
    assert link(api, parent, CHILD).status == 201
    assert link(api, parent, CHILD).status == 409


def test_relatives_are_for_patients(api: Api, parent: str) -> None:
    practice = api.doctor("111111-11", "Dr Lea Hoffmann")
    assert link(api, practice, CHILD).status == 403
    assert api.get("/v1/patient/relatives", None).status == 401
