"""The patient's vault: what an invoice puts there, and how the patient reads it."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import boto3

from chalicelib.core import config
from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, OPERATOR, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import CHILD, issued


def vault_keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=config.vault_bucket())
    return [o["Key"] for o in listed.get("Contents", [])]


def test_opted_in_patient_gets_the_invoice(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    document_id = invoice["vault"]["document_id"]

    listed = api.get("/v1/patient/documents", patient)
    assert listed.status == 200
    assert listed.json["next_cursor"] is None
    [item] = listed.json["items"]
    assert item["id"] == document_id
    assert item["type"] == "invoice"
    assert invoice["number"] in item["title"]
    assert item["author"] == "Dr Anne Weber"
    assert item["created_at"] == "2026-11-23T09:30:00.000Z"
    assert item["size_bytes"] > 1000

    got = api.get(f"/v1/patient/documents/{document_id}", patient)
    assert got.status == 200
    assert {k: v for k, v in got.json.items() if k not in {"download_url", "download_expires_in"}} == item
    url = urlsplit(got.json["download_url"])
    query = parse_qs(url.query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert got.json["download_expires_in"] <= 300
    # No personal data in the URL: the key names the document only.
    assert ADULT not in got.json["download_url"]
    assert url.path.endswith(f"{document_id}.pdf")
    body = boto3.client("s3").get_object(Bucket=config.vault_bucket(), Key=f"documents/{document_id}.pdf")
    data = body["Body"].read()
    assert data.startswith(b"%PDF")
    assert len(data) == item["size_bytes"]
    assert body["ServerSideEncryption"] == "aws:kms"


def test_opted_out_patient_gets_nothing(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient(opted_in=False)
    invoice = issued(api, doctor)
    assert invoice["vault"] == {"stored": False, "document_id": None}
    assert api.get("/v1/patient/documents", patient).json == {"items": [], "next_cursor": None}
    assert vault_keys() == []


def test_unknown_patient_gets_nothing(api: Api) -> None:
    doctor = api.doctor()
    invoice = issued(api, doctor, insurer="CNS")
    assert invoice["vault"] == {"stored": False, "document_id": None}
    assert vault_keys() == []


def test_opting_in_later_counts_from_then_on(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient(opted_in=False)
    assert issued(api, doctor)["vault"]["stored"] is False
    changed = {
        "name": "Marie Schmit",
        "insurer": "CNS",
        "digital_admin": "opted_in",
        "app_active": True,
    }
    assert api.put(f"/v1/patients/{api.ids[ADULT]}", OPERATOR, changed).status == 200
    assert issued(api, doctor)["vault"]["stored"] is True
    assert len(api.get("/v1/patient/documents", patient).json["items"]) == 1


def test_another_patient_document_is_404(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    child = api.patient(CHILD)
    document_id = issued(api, doctor)["vault"]["document_id"]
    assert_problem(api.get(f"/v1/patient/documents/{document_id}", child), 404)
    assert api.get("/v1/patient/documents", child).json["items"] == []
    assert_problem(api.get("/v1/patient/documents/doc_nope", child), 404)


def test_acting_for_someone_without_a_link_is_refused(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    child = api.patient(CHILD)
    issued(api, doctor)
    assert_problem(api.get(f"/v1/patient/documents?for={api.ids[ADULT]}", child), 403)
    assert field_errors(api.get(f"/v1/patient/documents?for={ADULT}", child)) == ["for"]


def test_newest_first_paginated_and_filtered_by_type(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    patient = api.patient()
    ids = []
    for _ in range(3):
        ids.append(issued(api, doctor)["vault"]["document_id"])
        fixed_clock.advance(timedelta(minutes=5))
    pages = api.pages("/v1/patient/documents?type=invoice", patient, 2)
    assert [d["id"] for page in pages for d in page] == ids[::-1]
    assert api.get("/v1/patient/documents?type=report", patient).json["items"] == []
    assert field_errors(api.get("/v1/patient/documents?cursor=e30", patient)) == ["cursor"]


def test_cursors_carry_no_matricule_and_open_no_other_vault(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    child = api.patient(CHILD)
    for _ in range(2):
        issued(api, doctor)
    cursor = api.get("/v1/patient/documents?limit=1", patient).json["next_cursor"]
    assert cursor
    assert ADULT not in base64.urlsafe_b64decode(cursor + "==").decode()
    assert api.get(f"/v1/patient/documents?cursor={cursor}", child).json["items"] == []
    assert len(api.get(f"/v1/patient/documents?cursor={cursor}", patient).json["items"]) == 1


def test_documents_are_for_patients(api: Api) -> None:
    doctor = api.doctor()
    assert_problem(api.get("/v1/patient/documents", doctor), 403)
    assert_problem(api.get("/v1/patient/documents", api.insurer()), 403)
    assert_problem(api.get("/v1/patient/documents"), 401)


def test_issued_is_notified_to_the_patient_only_where_opted_in(api: Api) -> None:
    from chalicelib.store.outbox import OutboxEvent

    doctor = api.doctor()
    api.patient()
    api.patient(CHILD, opted_in=False)
    stored = issued(api, doctor)
    kept = issued(api, doctor, CHILD)
    events = {(e.type, e.data["invoice_id"]): e for e in OutboxEvent.scan()}
    assert events[("invoice.issued", stored["id"])].patient == ADULT
    assert events[("document.received", stored["id"])].patient == ADULT
    assert events[("invoice.issued", kept["id"])].patient is None
    assert ("document.received", kept["id"]) not in events
    assert all(e.pending == "pending" and e.doctor_code in (None, "123456-78") for e in events.values())
    # Events concern whom they name; the data itself carries no matricule.
    assert all(ADULT not in str(e.data) and CHILD not in str(e.data) for e in events.values())
