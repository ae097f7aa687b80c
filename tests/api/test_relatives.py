"""Relatives: linking by parental authority or by acceptance, ending, and acting for a relative
when booking, cancelling and reading documents, checked again on every use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import ids
from chalicelib.core.clock import FixedClock
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, OPERATOR, Answer, Api
from tests.api.test_appointments import HOURS, TOMORROW_8, TOMORROW_830
from tests.api.test_conventions import assert_problem, field_errors
from tests.matricules import matricule

CHILD = "2015061200178"
SPOUSE = "1985030400267"
STRANGER = "1990010100324"
TURNS_18_TOMORROW = "2008112400640"
# The day after TURNS_18_TOMORROW's 18th birthday, at 08:00 in Luxembourg.
AFTER_BIRTHDAY_8 = "2026-11-25T08:00:00+01:00"


@pytest.fixture
def parent(api: Api) -> str:
    practice = api.doctor()
    assert api.put("/v1/practice/availability", practice, HOURS).status == 200
    return api.patient(ADULT)


def child(api: Api, number: str = CHILD, guardians: tuple[str, ...] = (ADULT,)) -> str:
    """Register a minor with the guardians the registry records; the child's patient_id."""
    return api.register(number, guardians=guardians, name="Léa Schmit")


def link(api: Api, token: str, number: str, relationship: str = "child") -> Answer:
    return api.post("/v1/patient/relatives", token, {"matricule": number, "relationship": relationship})


def linked(api: Api, token: str, number: str, relationship: str = "child") -> dict[str, Any]:
    made = link(api, token, number, relationship)
    assert made.status == 201, made.body
    return dict(made.json)


def book_for(api: Api, token: str, number: str | None, start: str = TOMORROW_8) -> Answer:
    body = {"doctor_code": DOCTOR_CODE, "start": start}
    if number is not None:
        body["patient_matricule"] = number
    return api.post("/v1/appointments", token, body)


def relatives_of(api: Api, token: str) -> list[dict[str, Any]]:
    got = api.get("/v1/patient/relatives", token)
    assert got.status == 200, got.body
    return list(got.json["items"])


def accept(api: Api, token: str, link_id: str) -> Answer:
    return api.post(f"/v1/patient/relatives/{link_id}/accept", token)


def adult_relative(api: Api, parent: str) -> tuple[str, str]:
    """The spouse's token and the accepted link's id."""
    spouse = api.patient(SPOUSE)
    made = linked(api, parent, SPOUSE, "spouse")
    assert accept(api, spouse, made["link_id"]).status == 200
    return spouse, str(made["link_id"])


# Parental authority, as the registry records it


def test_a_guardian_links_a_child_at_once(api: Api, parent: str) -> None:
    child_id = child(api)
    made = linked(api, parent, CHILD)
    assert ids.has_prefix(made.pop("link_id"), "lnk")
    assert made == {
        "patient_id": child_id,
        "name": "Léa Schmit",
        "relationship": "child",
        "status": "active",
        "direction": "acts_for",
    }
    got = book_for(api, parent, CHILD)
    assert got.status == 201, got.body
    assert (got.json["patient_id"], got.json["patient_matricule"]) == (child_id, CHILD)
    assert got.json["booked_by"] == api.ids[ADULT]
    booked = [e for e in OutboxEvent.scan() if e.type == "appointment.booked"]
    routed = sorted((e.patient, e.doctor_code, e.on_behalf_of) for e in booked)
    assert routed == [(ADULT, None, CHILD), (CHILD, DOCTOR_CODE, None)]
    # Payloads name patients by patient_id, and carry no matricule.
    for event in booked:
        assert (event.data["patient_id"], event.data["booked_by"]) == (child_id, api.ids[ADULT])
        assert CHILD not in str(event.data) and ADULT not in str(event.data)


@pytest.mark.parametrize("registered", [True, False])
def test_anyone_else_linking_a_minor_is_403_registered_or_not(api: Api, registered: bool) -> None:
    if registered:
        child(api, guardians=(SPOUSE,))
    stranger = api.patient(STRANGER)
    refused = link(api, stranger, CHILD)
    assert_problem(refused, 403)
    assert refused.json["detail"] == "a minor is linked only by the guardians the registry records"
    assert relatives_of(api, stranger) == []
    assert_problem(book_for(api, stranger, CHILD), 403)


def test_the_answer_is_the_same_for_a_registered_and_an_unregistered_minor(api: Api) -> None:
    stranger = api.patient(STRANGER)
    other_child = matricule("20150612", "002")
    child(api, guardians=(SPOUSE,))
    assert link(api, stranger, CHILD).body == link(api, stranger, other_child).body


def test_a_guardian_removed_from_the_registry_acts_no_more(api: Api, parent: str) -> None:
    child_id = child(api, guardians=(ADULT, SPOUSE))
    made = linked(api, parent, CHILD)
    assert api.get(f"/v1/patient/documents?for={child_id}", parent).status == 200
    feed = {"name": "Léa Schmit", "insurer": "CNS", "digital_admin": "opted_in", "app_active": True}
    replaced = api.put(f"/v1/patients/{child_id}", OPERATOR, {**feed, "guardians": [SPOUSE]})
    assert replaced.status == 200, replaced.body
    assert_problem(api.get(f"/v1/patient/documents?for={child_id}", parent), 403)
    assert_problem(book_for(api, parent, CHILD), 403)
    [listed] = relatives_of(api, parent)
    assert listed == {**made, "patient_id": None, "name": None, "status": "pending"}


def test_a_minor_accepts_no_link(api: Api, parent: str) -> None:
    child(api)
    made = linked(api, parent, CHILD)
    minor = api.token(api.ids[CHILD])
    [incoming] = relatives_of(api, minor)
    assert incoming["direction"] == "acted_for"
    assert_problem(accept(api, minor, made["link_id"]), 403)


def test_a_guardians_link_lapses_at_18_until_the_adult_accepts(
    api: Api, parent: str, fixed_clock: FixedClock
) -> None:
    grown_id = child(api, TURNS_18_TOMORROW)
    made = linked(api, parent, TURNS_18_TOMORROW)
    assert made["status"] == "active"
    assert book_for(api, parent, TURNS_18_TOMORROW).status == 201
    fixed_clock.advance(timedelta(days=1))
    parent = api.login(ADULT)
    assert_problem(book_for(api, parent, TURNS_18_TOMORROW, AFTER_BIRTHDAY_8), 403)
    assert_problem(api.get(f"/v1/patient/documents?for={grown_id}", parent), 403)
    [lapsed] = relatives_of(api, parent)
    assert (lapsed["status"], lapsed["patient_id"], lapsed["name"]) == ("pending", None, None)

    now_adult = api.token(grown_id)
    [asked] = relatives_of(api, now_adult)
    assert asked == {
        "link_id": made["link_id"],
        "patient_id": None,
        "name": "Marie Schmit",
        "relationship": "child",
        "status": "pending",
        "direction": "acted_for",
    }
    accepted = accept(api, now_adult, made["link_id"])
    assert accepted.status == 200, accepted.body
    assert (accepted.json["status"], accepted.json["patient_id"]) == ("active", api.ids[ADULT])
    assert book_for(api, parent, TURNS_18_TOMORROW, AFTER_BIRTHDAY_8).status == 201


# Adults: asked, then accepted


def test_an_adult_link_is_pending_until_accepted(api: Api, parent: str) -> None:
    spouse = api.patient(SPOUSE)
    pending = linked(api, parent, SPOUSE, "spouse")
    assert (pending["status"], pending["patient_id"], pending["name"]) == ("pending", None, None)
    assert_problem(book_for(api, parent, SPOUSE), 403)
    assert_problem(api.get(f"/v1/patient/appointments?for={api.ids[SPOUSE]}", parent), 403)

    assert relatives_of(api, spouse) == [
        {
            "link_id": pending["link_id"],
            "patient_id": None,
            "name": "Marie Schmit",
            "relationship": "spouse",
            "status": "pending",
            "direction": "acted_for",
        }
    ]
    accepted = accept(api, spouse, pending["link_id"])
    assert accepted.status == 200, accepted.body
    assert accepted.json == {
        "link_id": pending["link_id"],
        "patient_id": api.ids[ADULT],
        "name": "Marie Schmit",
        "relationship": "spouse",
        "status": "active",
        "direction": "acted_for",
    }
    assert accept(api, spouse, pending["link_id"]).json == accepted.json
    assert book_for(api, parent, SPOUSE).status == 201
    [mine] = relatives_of(api, parent)
    assert (mine["status"], mine["patient_id"], mine["direction"]) == ("active", api.ids[SPOUSE], "acts_for")


def test_an_unregistered_adult_is_asked_like_any_other(api: Api, parent: str) -> None:
    api.register(SPOUSE)
    known = linked(api, parent, SPOUSE, "spouse")
    unknown = linked(api, parent, STRANGER, "other")
    assert {k: v for k, v in known.items() if k not in ("link_id", "relationship")} == {
        k: v for k, v in unknown.items() if k not in ("link_id", "relationship")
    }
    assert_problem(book_for(api, parent, STRANGER), 403)


def test_only_the_relative_asked_can_accept(api: Api, parent: str) -> None:
    api.patient(SPOUSE)
    made = linked(api, parent, SPOUSE, "spouse")
    stranger = api.patient(STRANGER)
    assert_problem(accept(api, stranger, made["link_id"]), 404)
    assert_problem(accept(api, parent, made["link_id"]), 404)
    assert_problem(accept(api, stranger, "lnk_01KAAAAAAAAAAAAAAAAAAAAAAA"), 404)
    assert_problem(accept(api, stranger, SPOUSE), 404)
    assert_problem(book_for(api, parent, SPOUSE), 403)


# Ending


@pytest.mark.parametrize("ended_by", ["requester", "relative"])
def test_ending_a_link_from_either_side(api: Api, parent: str, ended_by: str) -> None:
    spouse, link_id = adult_relative(api, parent)
    booked = book_for(api, parent, SPOUSE)
    assert booked.status == 201
    ender = parent if ended_by == "requester" else spouse
    assert api.delete(f"/v1/patient/relatives/{link_id}", ender).status == 204
    assert_problem(book_for(api, parent, SPOUSE, TOMORROW_830), 403)
    assert_problem(api.get(f"/v1/patient/appointments?for={api.ids[SPOUSE]}", parent), 403)
    assert_problem(api.get(f"/v1/patient/documents?for={api.ids[SPOUSE]}", parent), 403)
    # The appointment the former relative booked is no longer theirs to cancel.
    assert_problem(api.delete(f"/v1/appointments/{booked.json['id']}", parent), 404)
    assert relatives_of(api, parent) == relatives_of(api, spouse) == []
    assert_problem(api.delete(f"/v1/patient/relatives/{link_id}", parent), 404)
    # The patient still cancels their own.
    assert api.delete(f"/v1/appointments/{booked.json['id']}", spouse).status == 204


def test_a_stranger_cannot_end_a_link(api: Api, parent: str) -> None:
    _, link_id = adult_relative(api, parent)
    stranger = api.patient(STRANGER)
    assert_problem(api.delete(f"/v1/patient/relatives/{link_id}", stranger), 404)
    assert_problem(api.delete("/v1/patient/relatives/lnk_nope", stranger), 404)
    assert book_for(api, parent, SPOUSE).status == 201


def test_a_link_made_again_is_a_new_link(api: Api, parent: str) -> None:
    spouse, first = adult_relative(api, parent)
    assert api.delete(f"/v1/patient/relatives/{first}", spouse).status == 204
    again = linked(api, parent, SPOUSE, "spouse")
    assert again["link_id"] != first
    assert again["status"] == "pending"
    # The old id accepts and ends nothing of the new link.
    assert_problem(accept(api, spouse, first), 404)
    assert_problem(api.delete(f"/v1/patient/relatives/{first}", spouse), 404)
    assert accept(api, spouse, again["link_id"]).status == 200


# Documents and `for=`


def test_documents_for_a_relative_follow_the_link(api: Api, parent: str) -> None:
    practice = api.doctor("111111-11", "Dr Lea Hoffmann")
    child_id = child(api)
    issued = api.invoice(practice, CHILD)
    assert issued.status == 201, issued.body
    document_id = issued.json["vault"]["document_id"]
    assert_problem(api.get(f"/v1/patient/documents?for={child_id}", parent), 403)
    made = linked(api, parent, CHILD)
    listed = api.get(f"/v1/patient/documents?for={child_id}", parent)
    assert listed.status == 200
    assert [d["id"] for d in listed.json["items"]] == [document_id]
    one = api.get(f"/v1/patient/documents/{document_id}?for={child_id}", parent)
    assert one.status == 200
    assert_problem(api.get(f"/v1/patient/documents/{document_id}", parent), 404)
    assert api.delete(f"/v1/patient/relatives/{made['link_id']}", parent).status == 204
    assert_problem(api.get(f"/v1/patient/documents?for={child_id}", parent), 403)
    assert_problem(api.get(f"/v1/patient/documents/{document_id}?for={child_id}", parent), 403)


def test_for_naming_anyone_the_caller_may_not_act_for_is_403(api: Api, parent: str) -> None:
    stranger_id = api.register(STRANGER)
    api.register(SPOUSE)
    linked(api, parent, SPOUSE, "spouse")  # pending
    for named in (stranger_id, api.ids[SPOUSE], "pat_01KAAAAAAAAAAAAAAAAAAAAAAA"):
        for path in ("/v1/patient/documents", "/v1/patient/appointments"):
            assert_problem(api.get(f"{path}?for={named}", parent), 403)


def test_for_naming_oneself_is_oneself(api: Api, parent: str) -> None:
    assert api.get(f"/v1/patient/appointments?for={api.ids[ADULT]}", parent).status == 200
    assert api.get(f"/v1/patient/documents?for={api.ids[ADULT]}", parent).status == 200


@pytest.mark.parametrize("value", [ADULT, "pat_nope", "1893 1201 057 32", "lnk_01KAAAAAAAAAAAAAAAAAAAAAAA"])
def test_for_is_a_patient_id_never_a_matricule(api: Api, parent: str, value: str) -> None:
    for path in ("/v1/patient/documents", "/v1/patient/appointments"):
        assert field_errors(api.get(f"{path}?for={value}", parent)) == ["for"]


def test_booking_for_a_stranger_is_403(api: Api, parent: str) -> None:
    assert_problem(book_for(api, parent, STRANGER), 403)
    api.register(STRANGER)
    assert_problem(book_for(api, parent, STRANGER), 403)


def test_booking_for_oneself_by_matricule_needs_no_link(api: Api, parent: str) -> None:
    got = book_for(api, parent, ADULT)
    assert got.status == 201
    assert got.json["booked_by"] == got.json["patient_id"] == api.ids[ADULT]


# Rules of the request


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matricule": ADULT, "relationship": "child"}, "matricule"),
        ({"matricule": "1893120105733", "relationship": "child"}, "matricule"),
        ({"matricule": CHILD, "relationship": "cousin"}, "relationship"),
        ({"matricule": CHILD}, "relationship"),
    ],
)
def test_invalid_links(api: Api, parent: str, body: dict[str, str], field: str) -> None:
    assert field_errors(api.post("/v1/patient/relatives", parent, body)) == [field]


def test_the_same_link_twice_is_409(api: Api, parent: str) -> None:
    child(api)
    assert link(api, parent, CHILD).status == 201
    assert_problem(link(api, parent, CHILD), 409)


def test_at_most_20_links_per_patient(api: Api, parent: str) -> None:
    for serial in range(20):
        linked(api, parent, matricule("19700101", f"{serial:03d}"), "other")
    refused = link(api, parent, matricule("19700101", "020"), "other")
    assert_problem(refused, 422)
    assert len(relatives_of(api, parent)) == 20


def test_relatives_are_for_patients(api: Api, parent: str) -> None:
    practice = api.doctor("111111-11", "Dr Lea Hoffmann")
    assert_problem(link(api, practice, CHILD), 403)
    assert_problem(api.get("/v1/patient/relatives", None), 401)
