"""The shared care record over real HTTP: moto server and `chalice local`, as `make run` starts
them. A laboratory uploads a result through the presigned URL straight to the moto server and
completes it; the patient's doctor searches the record and downloads it; the patient hides it,
and the doctor sees it no more; the patient reads who looked. A guardian closes and blocks a
child's record with `for=`, and reads the changes in the child's journal."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from local import stack as local_stack
from tests.e2e.test_invoice_flow import Http
from tests.matricules import matricule

PATIENT = matricule("19750415")
DOCTOR_CODE = "222222-22"
LAB_CODE = "333333-33"
RESULT = b"%PDF-1.7\n" + b"hemoglobin 14.1 g/dL\n" * 200
GUARDIAN = matricule("19820310")
CHILD = matricule("20180704")
PEDIATRICIAN = "444444-44"


@pytest.fixture(scope="module")
def stack() -> Iterator[local_stack.Stack]:
    with local_stack.running() as running:
        yield running


def practice(http: Http, code: str, name: str) -> str:
    made = http.created("/v1/doctors", http.stack.operator_token, {"doctor_code": code, "name": name})
    return http.enrol(made["enrolment_code"], "PC")


def ok(answer: requests.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def test_upload_search_download_hide_and_the_journal(stack: local_stack.Stack) -> None:
    http = Http(stack)
    doctor = practice(http, DOCTOR_CODE, "Dr Anne Weber")
    lab = practice(http, LAB_CODE, "Laboratoire Ketterthill")
    patient = http.patient(PATIENT)
    # The doctor's invoice makes the care relationship; the laboratory has none.
    http.created(
        "/v1/invoices",
        doctor,
        {
            "patient_matricule": PATIENT,
            "service_date": date.today().isoformat(),
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 5770},
        },
    )

    announced = http.created(
        "/v1/records/documents",
        lab,
        {
            "patient_matricule": PATIENT,
            "type": "lab_result",
            "title": "Hémogramme",
            "confidentiality": "normal",
            "content_type": "application/pdf",
            "size_bytes": len(RESULT),
            "sha256": hashlib.sha256(RESULT).hexdigest(),
        },
    )
    document_id = announced["id"]
    upload = announced["upload"]
    assert upload["url"].startswith(stack.aws_endpoint)
    assert PATIENT not in upload["url"]
    sent = requests.put(upload["url"], data=RESULT, headers=upload["headers"], timeout=30)
    assert sent.status_code == 200, sent.text
    done = ok(http.call("POST", f"/v1/records/documents/{document_id}/complete", lab))
    assert done == {"id": document_id, "status": "available"}

    found = ok(
        http.call("POST", "/v1/records/search", doctor, json={"matricule": PATIENT, "type": "lab_result"})
    )
    assert [(d["id"], d["author"], d["author_code"]) for d in found["items"]] == [
        (document_id, "Laboratoire Ketterthill", LAB_CODE)
    ]
    read = ok(http.call("GET", f"/v1/records/documents/{document_id}", doctor))
    assert requests.get(read["download_url"], timeout=30).content == RESULT

    hidden = ok(http.call("POST", f"/v1/patient/documents/{document_id}/hide", patient))
    assert hidden["hidden"] is True
    after = ok(http.call("POST", "/v1/records/search", doctor, json={"matricule": PATIENT}))
    assert document_id not in [d["id"] for d in after["items"]]
    assert [d["type"] for d in after["items"]] == ["invoice"]
    assert http.call("GET", f"/v1/records/documents/{document_id}", doctor).status_code == 404
    # Its author still reads it; the patient still sees it, marked hidden.
    assert http.call("GET", f"/v1/records/documents/{document_id}", lab).status_code == 200
    mine = ok(http.call("GET", "/v1/patient/documents?type=lab_result", patient))
    assert [(d["id"], d["hidden"]) for d in mine["items"]] == [(document_id, True)]

    journal = ok(http.call("GET", "/v1/patient/access-log", patient))["items"]
    looks = {
        (e["actor"]["id"], e["action"], e["object"]["id"])
        for e in journal
        if e["actor"]["kind"] == "practice"
    }
    assert looks >= {
        (LAB_CODE, "document.upload", document_id),
        (DOCTOR_CODE, "record.search", None),
        (DOCTOR_CODE, "document.read", document_id),
        (LAB_CODE, "document.read", document_id),
    }
    assert not any(e["emergency"] for e in journal)


def test_a_guardian_closes_and_blocks_a_childs_record(stack: local_stack.Stack) -> None:
    http = Http(stack)
    doctor = practice(http, PEDIATRICIAN, "Dr Luc Hoffmann")
    guardian = http.patient(GUARDIAN)
    registered = {"name": "Léa Hoffmann", "insurer": "CNS", "digital_admin": "opted_in", "app_active": True}
    child_id = http.created(
        "/v1/patients", stack.operator_token, {"matricule": CHILD, **registered, "guardians": [GUARDIAN]}
    )["patient_id"]
    linked = http.created("/v1/patient/relatives", guardian, {"matricule": CHILD, "relationship": "child"})
    assert linked["status"] == "active"
    http.created(
        "/v1/invoices",
        doctor,
        {
            "patient_matricule": CHILD,
            "service_date": date.today().isoformat(),
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 5770},
        },
    )

    def search() -> requests.Response:
        return http.call("POST", "/v1/records/search", doctor, json={"matricule": CHILD})

    for_child = f"?for={child_id}"
    assert ok(search())["items"]
    closed = ok(http.call("POST", f"/v1/patient/record/close{for_child}", guardian))
    assert closed["status"] == "closed"
    assert search().status_code == 403
    ok(http.call("POST", f"/v1/patient/record/reopen{for_child}", guardian))
    blocked = http.call(
        "POST", f"/v1/patient/record/blocks{for_child}", guardian, json={"doctor_code": PEDIATRICIAN}
    )
    assert ok(blocked, 201) == {"doctor_code": PEDIATRICIAN, "name": "Dr Luc Hoffmann"}
    assert search().status_code == 403
    ok(http.call("DELETE", f"/v1/patient/record/blocks/{PEDIATRICIAN}{for_child}", guardian), 204)
    assert ok(search())["items"]
    # The guardian's own record was never touched.
    assert ok(http.call("GET", "/v1/patient/record", guardian)) == {
        "status": "open",
        "grants": [],
        "blocks": [],
    }

    journal = ok(http.call("GET", f"/v1/patient/access-log{for_child}", guardian))["items"]
    changes = [(e["actor"]["kind"], e["object"]["type"]) for e in journal if e["action"] == "record.update"]
    assert changes == [("relative", "record")] * 4
