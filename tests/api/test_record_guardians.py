"""A minor's guardians manage the child's shared care record with `for=`: grants, blocks,
hidden documents and closure, each journaled for the child. Parental authority in the
registry, while the child is under 18, is the only source of that right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, DOCTOR_CODE, OPERATOR, Answer, Api
from tests.api.test_access_journal import by_others, parent_actor
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import issued
from tests.api.test_relatives import (
    CHILD,
    SPOUSE,
    STRANGER,
    TURNS_18_TOMORROW,
    accept,
    adult_relative,
    child,
    linked,
)

OTHER_DOCTOR = "654321-09"
SEARCH = "/v1/records/search"
RECORD = "/v1/patient/record"
NOT_MANAGING = "only a minor's guardians in the registry manage their record with for="
NOBODY = "pat_01M83VVAE0J6TC7MHS3KXVYQ8Y"
FEED = {"name": "Léa Schmit", "insurer": "CNS", "digital_admin": "opted_in", "app_active": True}

# Every route that changes a record's settings, with what it is sent; `{document}` is a
# document of the record.
CHANGES = (
    ("POST", f"{RECORD}/grants", {"doctor_code": OTHER_DOCTOR}),
    ("DELETE", f"{RECORD}/grants/{OTHER_DOCTOR}", None),
    ("POST", f"{RECORD}/blocks", {"doctor_code": OTHER_DOCTOR}),
    ("DELETE", f"{RECORD}/blocks/{OTHER_DOCTOR}", None),
    ("POST", "/v1/patient/documents/{document}/hide", None),
    ("POST", "/v1/patient/documents/{document}/unhide", None),
    ("POST", f"{RECORD}/close", None),
    ("POST", f"{RECORD}/reopen", None),
)


@dataclass
class Family:
    """A practice that invoiced the child (a care relationship), another that has not, the
    guardian's token, the child's patient_id and the invoice's document in the record."""

    doctor: str
    other: str
    guardian: str
    child_id: str
    document: str


@pytest.fixture
def family(api: Api) -> Family:
    doctor = api.doctor()
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    guardian = api.patient(ADULT)
    child_id = child(api)
    assert linked(api, guardian, CHILD)["status"] == "active"
    invoice = issued(api, doctor, CHILD)
    return Family(doctor, other, guardian, child_id, invoice["vault"]["document_id"])


def search(api: Api, token: str, matricule: str = CHILD) -> Answer:
    return api.post(SEARCH, token, {"matricule": matricule})


def seen(api: Api, token: str) -> list[str]:
    got = search(api, token)
    assert got.status == 200, got.body
    return [d["id"] for d in got.json["items"]]


def settings(api: Api, token: str, query: str = "") -> dict[str, Any]:
    got = api.get(f"{RECORD}{query}", token)
    assert got.status == 200, got.body
    return dict(got.json)


def changes(api: Api, token: str, query: str = "") -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(actor, object) of each `record.update` in the journal read, newest first."""
    return [(actor, obj) for action, actor, obj in by_others(api, token, query) if action == "record.update"]


def change(api: Api, token: str, method: str, path: str, body: Any, query: str, document: str) -> Answer:
    return api.call(method, path.format(document=document) + query, token, body)


def test_a_guardian_grants_and_withdraws_access_to_the_childs_record(api: Api, family: Family) -> None:
    for_child = f"?for={family.child_id}"
    assert_problem(search(api, family.other), 403)
    granted = api.post(f"{RECORD}/grants{for_child}", family.guardian, {"doctor_code": OTHER_DOCTOR})
    assert granted.status == 201, granted.body
    assert granted.json == {"doctor_code": OTHER_DOCTOR, "name": "Dr Paul Klein", "until": None}
    assert family.document in seen(api, family.other)
    assert settings(api, family.guardian, for_child)["grants"] == [granted.json]
    # The guardian's own record is untouched.
    assert settings(api, family.guardian) == {"status": "open", "grants": [], "blocks": []}
    assert api.delete(f"{RECORD}/grants/{OTHER_DOCTOR}{for_child}", family.guardian).status == 204
    assert_problem(search(api, family.other), 403)
    journaled = len(changes(api, family.guardian, for_child))
    # Withdrawing a grant there is not changes nothing, and journals nothing.
    assert_problem(api.delete(f"{RECORD}/grants/{OTHER_DOCTOR}{for_child}", family.guardian), 404)
    assert_problem(api.delete(f"{RECORD}/blocks/{OTHER_DOCTOR}{for_child}", family.guardian), 404)
    assert len(changes(api, family.guardian, for_child)) == journaled == 2


def test_a_guardian_blocks_a_practice_from_the_childs_record(api: Api, family: Family) -> None:
    for_child = f"?for={family.child_id}"
    assert family.document in seen(api, family.doctor)
    blocked = api.post(f"{RECORD}/blocks{for_child}", family.guardian, {"doctor_code": DOCTOR_CODE})
    assert blocked.status == 201, blocked.body
    assert blocked.json == {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber"}
    assert_problem(search(api, family.doctor), 403)
    assert api.delete(f"{RECORD}/blocks/{DOCTOR_CODE}{for_child}", family.guardian).status == 204
    assert family.document in seen(api, family.doctor)


def test_a_guardian_hides_a_document_of_the_childs_record(api: Api, family: Family) -> None:
    for_child = f"?for={family.child_id}"
    granted = api.post(f"{RECORD}/grants{for_child}", family.guardian, {"doctor_code": OTHER_DOCTOR})
    assert granted.status == 201, granted.body
    assert family.document in seen(api, family.other)
    hidden = api.post(f"/v1/patient/documents/{family.document}/hide{for_child}", family.guardian)
    assert hidden.status == 200, hidden.body
    assert (hidden.json["id"], hidden.json["hidden"]) == (family.document, True)
    assert family.document not in seen(api, family.other)
    # Its author still sees it; the guardian sees it marked.
    assert family.document in seen(api, family.doctor)
    listed = api.get(f"/v1/patient/documents{for_child}", family.guardian).json["items"]
    assert [d["hidden"] for d in listed if d["id"] == family.document] == [True]
    shown = api.post(f"/v1/patient/documents/{family.document}/unhide{for_child}", family.guardian)
    assert shown.status == 200, shown.body
    assert shown.json["hidden"] is False
    assert family.document in seen(api, family.other)
    # Only the child's documents: the same id is no document of the guardian's own record.
    assert_problem(api.post(f"/v1/patient/documents/{family.document}/hide", family.guardian), 404)
    assert_problem(api.post(f"/v1/patient/documents/not-an-id/hide{for_child}", family.guardian), 404)
    # A document of another record is no document of the child's: 404, and no entry naming it.
    journaled = changes(api, family.guardian, for_child)
    own = issued(api, family.doctor)["vault"]["document_id"]
    assert_problem(api.post(f"/v1/patient/documents/{own}/hide{for_child}", family.guardian), 404)
    assert changes(api, family.guardian, for_child) == journaled


def test_a_guardian_closes_and_reopens_the_childs_record(api: Api, family: Family) -> None:
    for_child = f"?for={family.child_id}"
    closed = api.post(f"{RECORD}/close{for_child}", family.guardian)
    assert closed.status == 200, closed.body
    assert closed.json == {"status": "closed", "grants": [], "blocks": []}
    assert_problem(search(api, family.doctor), 403)
    assert settings(api, family.guardian)["status"] == "open"
    reopened = api.post(f"{RECORD}/reopen{for_child}", family.guardian)
    assert reopened.status == 200, reopened.body
    assert reopened.json["status"] == "open"
    assert family.document in seen(api, family.doctor)


def test_each_change_by_a_guardian_is_journaled_for_the_child(
    api: Api, family: Family, fixed_clock: FixedClock
) -> None:
    for_child = f"?for={family.child_id}"
    for method, path, body in CHANGES:
        fixed_clock.advance(timedelta(seconds=1))
        got = change(api, family.guardian, method, path, body, for_child, family.document)
        assert got.status < 300, (path, got.body)
    record, document = {"type": "record", "id": None}, {"type": "document", "id": family.document}
    objects = [document if "documents" in path else record for _, path, _ in CHANGES]
    expected = [(parent_actor(api), obj) for obj in reversed(objects)]
    # The child's journal, as the guardian reads it for them and as the child does.
    assert changes(api, family.guardian, for_child) == expected
    assert changes(api, api.token(family.child_id)) == expected
    # The guardian's own changes, and their own journal, are not journaled.
    assert changes(api, family.guardian) == []


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_an_adult_relative_changes_nothing_for_the_patient(
    api: Api, family: Family, method: str, path: str, body: Any
) -> None:
    # The spouse accepted that the guardian acts for them.
    spouse, _ = adult_relative(api, family.guardian)
    for_spouse = f"?for={api.ids[SPOUSE]}"
    document = issued(api, family.doctor, SPOUSE)["vault"]["document_id"]
    # The accepted link reads the record and its documents, and changes nothing.
    assert settings(api, family.guardian, for_spouse) == settings(api, spouse)
    refused = assert_problem(change(api, family.guardian, method, path, body, for_spouse, document), 403)
    assert refused["detail"] == NOT_MANAGING
    assert settings(api, spouse) == {"status": "open", "grants": [], "blocks": []}
    theirs = api.get("/v1/patient/documents", spouse).json["items"]
    assert [d["hidden"] for d in theirs if d["id"] == document] == [False]
    assert changes(api, spouse) == []


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_stranger_and_an_unknown_patient_get_the_same_403(
    api: Api, family: Family, method: str, path: str, body: Any
) -> None:
    stranger = api.patient(STRANGER)
    answers = [
        assert_problem(change(api, caller, method, path, body, f"?for={named}", family.document), 403)
        for caller, named in ((stranger, family.child_id), (stranger, NOBODY), (family.guardian, NOBODY))
    ]
    assert [a["detail"] for a in answers] == [NOT_MANAGING] * 3
    assert settings(api, family.guardian, f"?for={family.child_id}") == {
        "status": "open",
        "grants": [],
        "blocks": [],
    }


def test_a_pending_link_or_a_guardian_without_a_link_changes_nothing(api: Api, family: Family) -> None:
    # The spouse asked to act for the patient, who has not accepted.
    spouse = api.patient(SPOUSE)
    linked(api, spouse, ADULT, "spouse")
    # A second guardian in the registry who never linked the child.
    replaced = api.put(f"/v1/patients/{family.child_id}", OPERATOR, {**FEED, "guardians": [ADULT, STRANGER]})
    assert replaced.status == 200, replaced.body
    unlinked = api.patient(STRANGER)
    for caller, named in ((spouse, api.ids[ADULT]), (unlinked, family.child_id)):
        refused = assert_problem(api.post(f"{RECORD}/close?for={named}", caller), 403)
        assert refused["detail"] == NOT_MANAGING
    assert settings(api, family.guardian)["status"] == "open"
    assert settings(api, family.guardian, f"?for={family.child_id}")["status"] == "open"


def test_a_guardian_removed_from_the_registry_manages_no_more(api: Api, family: Family) -> None:
    assert api.post(f"{RECORD}/close?for={family.child_id}", family.guardian).status == 200
    replaced = api.put(f"/v1/patients/{family.child_id}", OPERATOR, {**FEED, "guardians": [SPOUSE]})
    assert replaced.status == 200, replaced.body
    assert_problem(api.post(f"{RECORD}/reopen?for={family.child_id}", family.guardian), 403)


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_guardian_manages_nothing_from_the_childs_18th_birthday(
    api: Api, family: Family, fixed_clock: FixedClock, method: str, path: str, body: Any
) -> None:
    grown_id = child(api, TURNS_18_TOMORROW)
    made = linked(api, family.guardian, TURNS_18_TOMORROW)
    document = issued(api, family.doctor, TURNS_18_TOMORROW)["vault"]["document_id"]
    for_grown = f"?for={grown_id}"
    assert (
        api.post(f"{RECORD}/grants{for_grown}", family.guardian, {"doctor_code": OTHER_DOCTOR}).status == 201
    )
    assert (
        api.post(f"{RECORD}/blocks{for_grown}", family.guardian, {"doctor_code": OTHER_DOCTOR}).status == 201
    )
    before = settings(api, family.guardian, for_grown)
    fixed_clock.advance(timedelta(days=1))
    guardian = api.login(ADULT)
    refused = assert_problem(change(api, guardian, method, path, body, for_grown, document), 403)
    assert refused["detail"] == NOT_MANAGING
    # Accepted by the now-adult patient, the link reads and books again; it manages nothing.
    now_adult = api.token(grown_id)
    assert accept(api, now_adult, made["link_id"]).status == 200
    assert settings(api, guardian, for_grown) == before
    assert_problem(change(api, guardian, method, path, body, for_grown, document), 403)
    assert settings(api, now_adult) == before
    # The now-adult patient manages their own record.
    assert api.post(f"{RECORD}/reopen", now_adult).status == 200


def test_for_naming_oneself_is_ones_own_record(api: Api, family: Family) -> None:
    closed = api.post(f"{RECORD}/close?for={api.ids[ADULT]}", family.guardian)
    assert closed.status == 200, closed.body
    assert settings(api, family.guardian)["status"] == "closed"
    assert settings(api, family.guardian, f"?for={family.child_id}")["status"] == "open"
    assert changes(api, family.guardian) == []


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_for_is_a_patient_id(api: Api, family: Family, method: str, path: str, body: Any) -> None:
    got = change(api, family.guardian, method, path, body, f"?for={CHILD}", family.document)
    assert field_errors(got) == ["for"]


def test_one_idempotency_key_names_one_patient(api: Api, family: Family) -> None:
    """A key sent again for another patient is another request, not the first one's answer."""
    key = {"idempotency-key": "grant-1"}
    grant = {"doctor_code": OTHER_DOCTOR}
    first = api.post(f"{RECORD}/grants?for={family.child_id}", family.guardian, grant, headers=key)
    assert first.status == 201, first.body
    again = api.post(f"{RECORD}/grants?for={family.child_id}", family.guardian, grant, headers=key)
    assert (again.status, again.json) == (201, first.json)
    assert field_errors(api.post(f"{RECORD}/grants", family.guardian, grant, headers=key)) == [
        "Idempotency-Key"
    ]
    assert settings(api, family.guardian)["grants"] == []
    assert [
        g["doctor_code"] for g in settings(api, family.guardian, f"?for={family.child_id}")["grants"]
    ] == [OTHER_DOCTOR]
