"""The access journal under moto: an entry for each access the contract journals today, the
patient (or a relative, with `for=`) reading them newest first, `record.accessed` once per
actor in 30 days, and a request whose entry cannot be written failing without answering or
changing anything."""

from __future__ import annotations

import ast
import base64
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.core import ids
from chalicelib.core.clock import FixedClock
from chalicelib.domain.journal import Entry, ObjectRef
from chalicelib.services.identity import Principal
from chalicelib.store import journal as store
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, OPERATOR, Answer, Api
from tests.api.test_appointments import HOURS
from tests.api.test_claims import PROOF
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import issued

CHILD = "2015061200178"
STRANGER = "1990010100324"
PRACTICE = {"kind": "practice", "id": DOCTOR_CODE, "name": "Dr Anne Weber"}
CNS = {"kind": "insurer", "id": "CNS", "name": "CNS"}
# The local stack's bootstrap token, which the tests use, names this operator.
BOOTSTRAP = "bootstrap operator (local stack)"
THE_OPERATOR = {"kind": "operator", "id": BOOTSTRAP, "name": BOOTSTRAP}
LOG = "/v1/patient/access-log"


def log(api: Api, token: str, query: str = "") -> list[dict[str, Any]]:
    got = api.get(f"{LOG}{query}", token)
    assert got.status == 200, got.body
    items: list[dict[str, Any]] = got.json["items"]
    return items


def by_others(api: Api, token: str, query: str = "") -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(action, actor, object) of each entry not made by the operator, newest first: every
    test patient is registered and given a token by the operator first."""
    return [
        (e["action"], e["actor"], e["object"]) for e in log(api, token, query) if e["actor"] != THE_OPERATOR
    ]


def parent_actor(api: Api) -> dict[str, Any]:
    """The parent acting as a relative, named by their patient_id."""
    return {"kind": "relative", "id": api.ids[ADULT], "name": "Marie Schmit"}


def look_up(api: Api, token: str, matricule: str = ADULT) -> Answer:
    return api.post("/v1/patients/status", token, {"matricule": matricule})


def told(patient: str = ADULT) -> list[dict[str, Any]]:
    """The data of every `record.accessed` for `patient` in the outbox, in the order of the
    accesses they tell of."""
    data = [e.data for e in OutboxEvent.scan() if e.type == "record.accessed" and e.patient == patient]
    return sorted(data, key=lambda d: str(d["access_id"]))


# One entry per journaled access.


def test_operator_actions_are_journaled_under_the_operators_name(api: Api) -> None:
    patient = api.patient()
    replaced = {"name": "Marie Schmit", "insurer": "CNS", "digital_admin": "opted_out", "app_active": True}
    assert api.put(f"/v1/patients/{api.ids[ADULT]}", OPERATOR, replaced).status == 200
    entries = log(api, patient)
    assert [(e["action"], e["actor"], e["object"]) for e in entries] == [
        ("operator.update", THE_OPERATOR, {"type": "patient", "id": None}),
        ("operator.token", THE_OPERATOR, {"type": "token", "id": None}),
        ("operator.update", THE_OPERATOR, {"type": "patient", "id": None}),
    ]
    assert all(e["id"].startswith("acc_") and e["emergency"] is False for e in entries)
    assert entries[0]["at"] == "2026-11-23T09:30:00.000Z"
    # An operator reads nothing of the patient's data: the patient is not told.
    assert told() == []


def test_a_status_lookup_is_journaled_for_a_registered_patient_only(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    assert look_up(api, doctor).status == 200
    assert by_others(api, patient) == [("status.lookup", PRACTICE, {"type": "patient", "id": None})]
    assert look_up(api, doctor, STRANGER).json["digital_admin"] == "unknown"
    assert by_others(api, api.patient(STRANGER)) == []


def test_invoice_reads_pdfs_and_qr_codes_are_journaled_and_issuance_is_not(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    assert by_others(api, patient) == []
    base = f"/v1/invoices/{invoice['id']}"
    assert api.get(base, doctor).status == 200
    assert api.get(f"{base}/pdf", doctor, headers={"Accept": "application/pdf"}).status == 200
    assert api.get(f"{base}/qr.svg", doctor).status == 200
    read = ("invoice.read", PRACTICE, {"type": "invoice", "id": invoice["id"]})
    assert by_others(api, patient) == [read, read, read]


def test_each_invoice_a_practice_lists_is_journaled_for_its_own_patient(api: Api) -> None:
    doctor = api.doctor()
    adult, stranger = api.patient(), api.patient(STRANGER)
    mine, theirs = issued(api, doctor), issued(api, doctor, STRANGER)
    listed = api.get("/v1/invoices", doctor)
    assert listed.status == 200, listed.body
    assert {i["id"] for i in listed.json["items"]} == {mine["id"], theirs["id"]}
    assert by_others(api, adult) == [("invoice.read", PRACTICE, {"type": "invoice", "id": mine["id"]})]
    assert by_others(api, stranger) == [("invoice.read", PRACTICE, {"type": "invoice", "id": theirs["id"]})]
    # A list that names nobody reads nothing, and journals nothing.
    nobody = api.get("/v1/invoices?patient_id=pat_01KAAAAAAAAAAAAAAAAAAAAAAA", doctor)
    assert nobody.status == 200 and nobody.json["items"] == []
    assert len(by_others(api, adult)) == 1


def test_insurer_scans_paper_claims_and_queue_reads_are_journaled(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    insurer = api.insurer("CNS")
    scanned, filed = issued(api, doctor), issued(api, doctor)
    assert api.post("/v1/insurer/scan", insurer, {"qr": scanned["qr"]}).status == 200
    paper = api.post("/v1/insurer/claims", insurer, {"qr": filed["qr"], "proof_of_payment": PROOF})
    assert paper.status == 201, paper.body
    assert api.get("/v1/insurer/claims", insurer).status == 200
    assert by_others(api, patient) == [
        ("claim.read", CNS, {"type": "claim", "id": paper.json["id"]}),
        ("invoice.scan", CNS, {"type": "invoice", "id": filed["id"]}),
        ("invoice.scan", CNS, {"type": "invoice", "id": scanned["id"]}),
    ]


def test_a_relative_acting_for_the_patient_is_journaled_for_that_patient(api: Api) -> None:
    practice = api.doctor()
    assert api.put("/v1/practice/availability", practice, HOURS).status == 200
    parent = api.patient(ADULT)
    child = api.token(api.register(CHILD, guardians=(ADULT,), name="Léa Schmit"))
    document_id = issued(api, practice, CHILD)["vault"]["document_id"]
    linked = api.post("/v1/patient/relatives", parent, {"matricule": CHILD, "relationship": "child"})
    assert linked.status == 201, linked.body
    child_id = api.ids[CHILD]
    assert api.get(f"/v1/patient/documents?for={child_id}", parent).status == 200
    assert api.get(f"/v1/patient/documents/{document_id}?for={child_id}", parent).status == 200
    assert api.get(f"/v1/patient/appointments?for={child_id}", parent).status == 200
    parent_of = parent_actor(api)
    relative_reads = [
        ("relative.read", parent_of, {"type": "appointment", "id": None}),
        ("relative.read", parent_of, {"type": "document", "id": document_id}),
        ("relative.read", parent_of, {"type": "document", "id": None}),
    ]
    assert by_others(api, child) == relative_reads
    # The relative's own reading of the journal is journaled too, before it is answered.
    via_parent = by_others(api, parent, f"?for={child_id}")
    assert via_parent == [("relative.read", parent_of, {"type": "access_log", "id": None}), *relative_reads]
    assert by_others(api, parent) == []


def test_the_patients_own_reads_are_not_journaled(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    issued(api, doctor)
    for path in ("/v1/patient/documents", "/v1/patient/appointments", LOG, f"{LOG}?for={api.ids[ADULT]}"):
        assert api.get(path, patient).status == 200
    assert by_others(api, patient) == []


# Reading the journal.


def test_the_answer_names_no_matricule(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    look_up(api, doctor)
    got = api.get(f"{LOG}?limit=1", patient)
    assert got.status == 200
    cursor = got.json["next_cursor"]
    assert ADULT not in got.body.decode()
    assert ADULT not in base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    assert api.get(f"{LOG}?limit=1&cursor={cursor}", patient).json["items"] != got.json["items"]
    assert set(got.json["items"][0]) == {"id", "at", "actor", "action", "object", "emergency"}


def test_newest_first_by_day_and_paginated(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    insurer = api.insurer("CNS")
    look_up(api, doctor)  # 23 November
    fixed_clock.advance(timedelta(days=1))
    api.get(f"/v1/invoices/{invoice['id']}", doctor)  # 24 November
    fixed_clock.advance(timedelta(days=1))
    api.post("/v1/insurer/scan", insurer, {"qr": invoice["qr"]})  # 25 November
    patient = api.login()

    actions = [action for action, _, _ in by_others(api, patient)]
    assert actions == ["invoice.scan", "invoice.read", "status.lookup"]
    assert [a for a, _, _ in by_others(api, patient, "?from=2026-11-24&to=2026-11-24")] == ["invoice.read"]
    assert [a for a, _, _ in by_others(api, patient, "?from=2026-11-24")] == ["invoice.scan", "invoice.read"]
    assert [a for a, _, _ in by_others(api, patient, "?to=2026-11-24")] == ["invoice.read", "status.lookup"]
    assert by_others(api, patient, "?from=2026-11-26") == []

    everything = log(api, patient)
    assert [e["at"] for e in everything] == sorted((e["at"] for e in everything), reverse=True)
    pages = api.pages(LOG, patient, limit=2)
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in everything]


def test_filters_and_for_are_checked(api: Api) -> None:
    patient = api.patient()
    assert field_errors(api.get(f"{LOG}?from=2026-11-24&to=2026-11-23", patient)) == ["to"]
    assert field_errors(api.get(f"{LOG}?from=1969-12-31", patient)) == ["from"]
    assert field_errors(api.get(f"{LOG}?cursor=bm9wZQ", patient)) == ["cursor"]
    assert_problem(api.get(f"{LOG}?for={api.register(STRANGER)}", patient), 403)
    assert_problem(api.get(LOG, api.doctor()), 403)
    assert_problem(api.get(LOG), 401)


# Telling the patient.


def test_record_accessed_once_per_actor_in_30_days(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    insurer = api.insurer("CNS")
    look_up(api, doctor)
    look_up(api, doctor)
    api.get(f"/v1/invoices/{invoice['id']}", doctor)
    [first] = told()
    assert first["actor"] == PRACTICE
    assert (first["action"], first["object"], first["emergency"]) == (
        "status.lookup",
        {"type": "patient", "id": None},
        False,
    )
    assert first["access_id"].startswith("acc_")
    assert ADULT not in str(first)

    api.post("/v1/insurer/scan", insurer, {"qr": invoice["qr"]})
    assert [e["actor"] for e in told()] == [PRACTICE, CNS]

    fixed_clock.advance(timedelta(days=30) - timedelta(seconds=1))
    api.get(f"/v1/invoices/{invoice['id']}", doctor)
    assert len(told()) == 2
    fixed_clock.advance(timedelta(seconds=1))
    api.get(f"/v1/invoices/{invoice['id']}", doctor)
    api.get(f"/v1/invoices/{invoice['id']}", doctor)
    assert [(e["actor"], e["action"]) for e in told()] == [
        (PRACTICE, "status.lookup"),
        (CNS, "invoice.scan"),
        (PRACTICE, "invoice.read"),
    ]


def test_an_emergency_access_is_told_at_once_every_time(api: Api, fixed_clock: FixedClock) -> None:
    from chalicelib.services import journal

    api.doctor()
    patient = api.patient()
    doctor = Principal(role="doctor", scope="test", doctor_code=DOCTOR_CODE)
    for _ in range(2):
        journal.record(doctor, "record.search", ADULT, ObjectRef("record"), fixed_clock, emergency=True)
    assert [(e["action"], e["emergency"]) for e in told()] == [("record.search", True)] * 2
    entries = [e for e in log(api, patient) if e["actor"] == PRACTICE]
    assert [e["emergency"] for e in entries] == [True, True]


def test_a_page_of_many_patients_tells_each_once(api: Api, fixed_clock: FixedClock) -> None:
    from chalicelib.services import journal

    insurer = Principal(role="insurer", scope="test", insurer="CNS")
    patients = [f"19800101{n:05d}" for n in range(60)]
    accesses = [(p, ObjectRef("claim", f"clm_{n}")) for n, p in enumerate(patients)] * 2
    journal.record_all(insurer, "claim.read", accesses, fixed_clock)
    journal.record_all(insurer, "claim.read", accesses[:3], fixed_clock)
    # More entries than one transaction holds: the chunks after the first find the notices.
    for patient in patients[:3]:
        assert len(store.entries_of(patient, ("acc_0", "acc_Z"), 10, None).items) == 3
    told_to = sorted(e.patient for e in OutboxEvent.scan() if e.type == "record.accessed")
    assert told_to == sorted(patients)


# Entries are written with the request, or the request fails.


def _broken(*_: object, **__: object) -> bool:
    raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems")


Attempt = Callable[[Api, dict[str, str]], Answer]
ATTEMPTS: dict[str, Attempt] = {
    "invoice": lambda api, w: api.get(f"/v1/invoices/{w['invoice']}", w["doctor"]),
    "pdf": lambda api, w: api.get(
        f"/v1/invoices/{w['invoice']}/pdf", w["doctor"], headers={"Accept": "application/pdf"}
    ),
    "qr": lambda api, w: api.get(f"/v1/invoices/{w['invoice']}/qr.svg", w["doctor"]),
    "status": lambda api, w: look_up(api, w["doctor"]),
    "scan": lambda api, w: api.post("/v1/insurer/scan", w["insurer"], {"qr": w["qr"]}),
    "paper": lambda api, w: api.post(
        "/v1/insurer/claims", w["insurer"], {"qr": w["qr"], "proof_of_payment": PROOF}
    ),
    "queue": lambda api, w: api.get("/v1/insurer/claims", w["insurer"]),
    "documents for": lambda api, w: api.get(f"/v1/patient/documents?for={api.ids[CHILD]}", w["patient"]),
    "token": lambda api, _: api.post(f"/v1/patients/{api.ids[ADULT]}/tokens", OPERATOR),
    "update": lambda api, _: api.put(
        f"/v1/patients/{api.ids[ADULT]}",
        OPERATOR,
        {"name": "Someone Else", "insurer": "CMFEP", "digital_admin": "opted_out", "app_active": False},
    ),
    "create": lambda api, _: api.post(
        "/v1/patients",
        OPERATOR,
        {
            "matricule": STRANGER,
            "name": "N",
            "insurer": "CNS",
            "digital_admin": "opted_in",
            "app_active": True,
        },
    ),
}


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_a_request_whose_entry_cannot_be_written_fails_and_does_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch, attempt: str
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    insurer = api.insurer("CNS")
    api.register(CHILD, guardians=(ADULT,), name="Léa Schmit")
    linked = api.post("/v1/patient/relatives", patient, {"matricule": CHILD, "relationship": "child"})
    assert linked.status == 201, linked.body
    api.post("/v1/patient/claims", patient, {"invoice_id": invoice["id"], "proof_of_payment": PROOF})
    spare = issued(api, doctor)
    world = {
        "doctor": doctor,
        "insurer": insurer,
        "invoice": invoice["id"],
        "qr": spare["qr"],
        "patient": patient,
    }
    before = log(api, patient)
    claims_before = api.get("/v1/patient/claims", patient).json["items"]
    events_before = sum(1 for _ in OutboxEvent.scan())

    with monkeypatch.context() as patch:
        patch.setattr(store, "append", _broken)
        got = ATTEMPTS[attempt](api, world)
    body = assert_problem(got, 500)
    text = got.body.decode()
    for private in (invoice["id"], invoice["number"], spare["id"], ADULT, "Marie Schmit", "5770", "down"):
        assert private not in text
    assert body["detail"] == "the server failed to answer; the request can be retried"

    assert log(api, patient) == before
    assert api.get("/v1/patient/claims", patient).json["items"] == claims_before
    assert sum(1 for _ in OutboxEvent.scan()) == events_before
    status = look_up(api, doctor).json
    assert (status["insurer"], status["digital_admin"]) == ("CNS", "opted_in")
    assert look_up(api, doctor, STRANGER).json["digital_admin"] == "unknown"


def test_the_store_never_changes_or_deletes_an_entry(api: Api, fixed_clock: FixedClock) -> None:
    from chalicelib.services import journal

    api.doctor()
    patient = api.patient()
    doctor = Principal(role="doctor", scope="test", doctor_code=DOCTOR_CODE)
    journal.record(doctor, "status.lookup", ADULT, ObjectRef("patient"), fixed_clock)
    [entry] = [
        e for e in store.entries_of(ADULT, ("acc_0", "acc_Z"), 10, None).items if e.actor.kind == "practice"
    ]
    before = log(api, patient)
    overwrite = store.append(
        [Entry(entry.access_id, ADULT, entry.at, entry.actor, "invoice.read", ObjectRef("invoice", "x"))],
        covered=[],
        notices=[],
        events=[],
        at=fixed_clock.now(),
    )
    assert overwrite is False
    assert log(api, patient) == before

    functions = {
        name for name, f in inspect.getmembers(store, inspect.isfunction) if f.__module__ == store.__name__
    }
    assert {f for f in functions if not f.startswith("_")} == {"append", "covered", "entries_of"}
    calls = {
        node.func.attr
        for node in ast.walk(ast.parse(inspect.getsource(store)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"update", "delete", "batch_write", "delete_item", "update_item"}


def test_of_two_requests_that_would_tell_the_patient_one_does(api: Api, fixed_clock: FixedClock) -> None:
    """Both read the notices before either wrote: the notice's condition lets one through."""
    from chalicelib.domain import journal as rules
    from chalicelib.services import journal

    api.doctor()
    api.patient()
    doctor = Principal(role="doctor", scope="test", doctor_code=DOCTOR_CODE)
    journal.record(doctor, "status.lookup", ADULT, ObjectRef("patient"), fixed_clock)
    [entry] = [
        e for e in store.entries_of(ADULT, ("acc_0", "acc_Z"), 10, None).items if e.actor.kind == "practice"
    ]
    again = Entry(ids.new_id("acc", entry.at), ADULT, entry.at, entry.actor, entry.action, entry.object)
    late = store.append(
        [again],
        covered=[],
        notices=[rules.notice(again)],
        events=[rules.accessed(again, "evt_late")],
        at=fixed_clock.now(),
    )
    assert late is False
    assert len(told()) == 1
