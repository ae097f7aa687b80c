"""The shared care record: uploads through a presigned PUT, searches and reads under the
access matrix, emergencies, and the patient's grants, blocks, hidden documents and closure."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from chalicelib.core import config
from chalicelib.core.clock import FixedClock
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, Answer, Api
from tests.api.test_access_journal import log, told
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import issued
from tests.api.test_transaction_conflicts import Cancelling, inject

OTHER_DOCTOR = "654321-09"
RELATIVE = "1985030400267"
PDF = b"%PDF-1.7\n" + b"compte rendu " * 100
SEARCH = "/v1/records/search"
DOCUMENTS = "/v1/records/documents"


def announced(api: Api, token: str, content: bytes = PDF, **fields: Any) -> Answer:
    body = {
        "patient_matricule": ADULT,
        "type": "report",
        "title": "Compte rendu de consultation",
        "confidentiality": "normal",
        "content_type": "application/pdf",
        "size_bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        **fields,
    }
    return api.post(DOCUMENTS, token, body)


def put(upload: dict[str, Any], content: bytes) -> None:
    """What practice software does with the upload it was given."""
    sent = requests.put(upload["url"], data=content, headers=upload["headers"], timeout=10)
    assert sent.status_code == 200, sent.text


def uploaded(api: Api, token: str, content: bytes = PDF, **fields: Any) -> str:
    """A document announced, uploaded and completed; its id."""
    made = announced(api, token, content, **fields)
    assert made.status == 201, made.body
    put(made.json["upload"], content)
    done = api.post(f"{DOCUMENTS}/{made.json['id']}/complete", token)
    assert done.status == 200, done.body
    return str(made.json["id"])


def search(api: Api, token: str, **body: Any) -> Answer:
    return api.post(SEARCH, token, {"matricule": ADULT, **body})


def seen(api: Api, token: str, **body: Any) -> list[str]:
    got = search(api, token, **body)
    assert got.status == 200, got.body
    return [d["id"] for d in got.json["items"]]


def keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=config.vault_bucket())
    return sorted(o["Key"] for o in listed.get("Contents", []))


def events(kind: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in OutboxEvent.scan() if e.type == kind]


@pytest.fixture
def cared(api: Api) -> tuple[str, str]:
    """A doctor who invoiced the patient today (a care relationship), and the patient."""
    doctor = api.doctor()
    patient = api.patient()
    issued(api, doctor)
    return doctor, patient


# Upload


def test_an_upload_is_a_presigned_put_that_completes_into_the_record(
    api: Api, cared: tuple[str, str]
) -> None:
    doctor, patient = cared
    made = announced(api, doctor)
    assert made.status == 201, made.body
    document_id = made.json["id"]
    assert document_id.startswith("doc_")
    assert made.json["status"] == "pending_upload"
    upload = made.json["upload"]
    assert upload["method"] == "PUT"
    assert upload["expires_at"] == "2026-11-23T09:35:00.000Z"
    assert upload["headers"] == {
        "Content-Type": "application/pdf",
        "Content-Length": str(len(PDF)),
        "x-amz-checksum-sha256": upload["headers"]["x-amz-checksum-sha256"],
    }
    url = urlsplit(upload["url"])
    signed = parse_qs(url.query)
    assert int(signed["X-Amz-Expires"][0]) <= 300
    # S3 refuses another type, length or checksum: each is signed.
    assert set(signed["X-Amz-SignedHeaders"][0].split(";")) >= {
        "content-type",
        "content-length",
        "x-amz-checksum-sha256",
    }
    assert url.path.endswith(f"/pending/{document_id}.pdf")
    assert ADULT not in upload["url"]
    # Not in the record before it is completed.
    assert api.get("/v1/patient/documents?type=report", patient).json["items"] == []

    put(upload, PDF)
    done = api.post(f"{DOCUMENTS}/{document_id}/complete", doctor)
    assert done.status == 200, done.body
    assert done.json == {"id": document_id, "status": "available"}
    assert f"documents/{document_id}.pdf" in keys()
    assert f"pending/{document_id}.pdf" not in keys()
    stored = boto3.client("s3").get_object(Bucket=config.vault_bucket(), Key=f"documents/{document_id}.pdf")
    assert stored["Body"].read() == PDF
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert events("document.received") == [
        # The invoice's copy, then the report.
        events("document.received")[0],
        {"document_id": document_id, "type": "report"},
    ]

    [listed] = api.get("/v1/patient/documents?type=report", patient).json["items"]
    assert listed == {
        "id": document_id,
        "type": "report",
        "title": "Compte rendu de consultation",
        "author": "Dr Anne Weber",
        "created_at": "2026-11-23T09:30:00.000Z",
        "size_bytes": len(PDF),
        "hidden": False,
    }


def test_completing_again_answers_the_same_and_tells_the_patient_once(
    api: Api, cared: tuple[str, str]
) -> None:
    doctor, _ = cared
    document_id = uploaded(api, doctor)
    again = api.post(f"{DOCUMENTS}/{document_id}/complete", doctor)
    assert again.status == 200
    assert again.json == {"id": document_id, "status": "available"}
    assert [e["document_id"] for e in events("document.received")].count(document_id) == 1


def test_the_practices_assistant_completes_its_upload_another_practice_does_not(
    api: Api, cared: tuple[str, str]
) -> None:
    doctor, _ = cared
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    made = announced(api, doctor).json
    put(made["upload"], PDF)
    assert_problem(api.post(f"{DOCUMENTS}/{made['id']}/complete", other), 404)
    assert_problem(api.post(f"{DOCUMENTS}/doc_01M83VVAE0J6TC7MHS3KXVYQ8Y/complete", doctor), 404)
    assert_problem(api.post(f"{DOCUMENTS}/not-an-id/complete", doctor), 404)
    code = api.post("/v1/practice/enrolment-codes", doctor, {"role": "assistant"}).json["enrolment_code"]
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", api.enrol(code)).status == 200


@pytest.mark.parametrize(
    ("stored", "field"),
    [
        (PDF[:-1], "size_bytes"),
        (PDF[:-1] + b"X", "sha256"),
    ],
)
def test_an_upload_that_does_not_match_is_refused_and_deleted(
    api: Api, cared: tuple[str, str], stored: bytes, field: str
) -> None:
    doctor, patient = cared
    made = announced(api, doctor).json
    # The moto server does not check signed headers as S3 does: the object is written as sent.
    boto3.client("s3").put_object(Bucket=config.vault_bucket(), Key=f"pending/{made['id']}.pdf", Body=stored)
    refused = api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor)
    assert field_errors(refused) == [field]
    assert not [k for k in keys() if made["id"] in k]
    assert [
        d["id"] for d in api.get("/v1/patient/documents", patient).json["items"] if d["type"] == "report"
    ] == []
    # Uploaded again as announced while the URL lasts, it completes.
    put(made["upload"], PDF)
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 200


def test_an_upload_that_is_not_a_pdf_is_refused_and_deleted(api: Api, cared: tuple[str, str]) -> None:
    doctor, _ = cared
    text = b"just some text, not a PDF at all"
    made = announced(api, doctor, text).json
    put(made["upload"], text)
    assert field_errors(api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor)) == ["content_type"]
    assert not [k for k in keys() if made["id"] in k]


def test_completing_before_uploading_is_409_and_keeps_the_upload_open(
    api: Api, cared: tuple[str, str]
) -> None:
    doctor, _ = cared
    made = announced(api, doctor).json
    assert_problem(api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor), 409)
    put(made["upload"], PDF)
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"size_bytes": 0}, "size_bytes"),
        ({"size_bytes": 20 * 1024 * 1024 + 1}, "size_bytes"),
        ({"content_type": "image/png"}, "content_type"),
        ({"sha256": "A" * 64}, "sha256"),
        ({"sha256": "0" * 63}, "sha256"),
        ({"type": "invoice"}, "type"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"title": "  "}, "title"),
        ({"patient_matricule": "1893120105733"}, "patient_matricule"),
        # Valid, but not in the registry.
        ({"patient_matricule": "1985030400267"}, "patient_matricule"),
    ],
)
def test_a_bad_announcement_names_its_field_and_stores_nothing(
    api: Api, cared: tuple[str, str], fields: dict[str, Any], field: str
) -> None:
    doctor, _ = cared
    before = keys()
    assert field_errors(announced(api, doctor, **fields)) == [field]
    assert keys() == before


def test_a_blocked_practice_or_a_closed_record_takes_no_upload(api: Api, cared: tuple[str, str]) -> None:
    doctor, patient = cared
    assert api.post("/v1/patient/record/blocks", patient, {"doctor_code": DOCTOR_CODE}).status == 201
    assert_problem(announced(api, doctor), 403)
    assert api.delete(f"/v1/patient/record/blocks/{DOCTOR_CODE}", patient).status == 204
    assert api.post("/v1/patient/record/close", patient).status == 200
    assert_problem(announced(api, doctor), 403)
    assert api.post("/v1/patient/record/reopen", patient).status == 200
    assert announced(api, doctor).status == 201


def test_a_completion_that_collides_is_tried_again(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor, _ = cared
    made = announced(api, doctor).json
    put(made["upload"], PDF)
    faults = inject(monkeypatch, Cancelling((True, False)))
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 200
    assert faults.cancelled >= 1
    assert [e["document_id"] for e in events("document.received")].count(made["id"]) == 1


def test_a_completion_that_crashed_before_its_transaction_completes_when_retried(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.store import uploads

    doctor, _ = cared
    made = announced(api, doctor).json
    put(made["upload"], PDF)
    real = uploads.complete

    def crash(*_: Any) -> bool:
        raise RuntimeError("the function ran out of time")

    monkeypatch.setattr(uploads, "complete", crash)
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 500
    # Nothing reached a prefix that lasts: the upload is still where it expires.
    assert f"documents/{made['id']}.pdf" not in keys() and f"pending/{made['id']}.pdf" in keys()
    monkeypatch.setattr(uploads, "complete", real)
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 200
    assert f"documents/{made['id']}.pdf" in keys()
    assert f"pending/{made['id']}.pdf" not in keys()
    assert [e["document_id"] for e in events("document.received")].count(made["id"]) == 1


def test_a_completion_that_crashed_after_its_commit_is_put_in_place_when_retried(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services import records
    from tests.api.test_crash_safety import crash_once

    doctor, _ = cared
    made = announced(api, doctor).json
    put(made["upload"], PDF)
    crash_once(monkeypatch, records, "_put_in_place")
    assert api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor).status == 500
    assert f"documents/{made['id']}.pdf" not in keys()
    again = api.post(f"{DOCUMENTS}/{made['id']}/complete", doctor)
    assert again.status == 200, again.body
    assert f"documents/{made['id']}.pdf" in keys()
    assert f"pending/{made['id']}.pdf" not in keys()
    assert [e["document_id"] for e in events("document.received")].count(made["id"]) == 1


# Search and read


def test_a_practice_with_care_searches_and_reads(
    api: Api, cared: tuple[str, str], fixed_clock: FixedClock
) -> None:
    doctor, patient = cared
    report = uploaded(api, doctor)
    # Entries of one instant have no order among them.
    fixed_clock.advance(timedelta(seconds=1))
    got = search(api, doctor)
    assert got.status == 200
    [newest, invoice] = got.json["items"]
    assert newest == {
        "id": report,
        "type": "report",
        "title": "Compte rendu de consultation",
        "author": "Dr Anne Weber",
        "author_code": DOCTOR_CODE,
        "created_at": "2026-11-23T09:30:00.000Z",
        "size_bytes": len(PDF),
        "confidentiality": "normal",
    }
    assert invoice["type"] == "invoice"
    assert invoice["author_code"] == DOCTOR_CODE
    assert got.json["next_cursor"] is None

    fixed_clock.advance(timedelta(seconds=1))
    read = api.get(f"{DOCUMENTS}/{report}", doctor)
    assert read.status == 200
    assert {k: v for k, v in read.json.items() if not k.startswith("download")} == newest
    assert read.json["download_expires_in"] <= 300
    assert int(parse_qs(urlsplit(read.json["download_url"]).query)["X-Amz-Expires"][0]) <= 300
    assert ADULT not in read.json["download_url"]
    assert requests.get(read.json["download_url"], timeout=10).content == PDF

    journal = [(e["action"], e["actor"]["id"], e["object"], e["emergency"]) for e in log(api, patient)]
    assert journal[:3] == [
        ("document.read", DOCTOR_CODE, {"type": "document", "id": report}, False),
        ("record.search", DOCTOR_CODE, {"type": "record", "id": None}, False),
        ("document.upload", DOCTOR_CODE, {"type": "document", "id": report}, False),
    ]


def test_a_practice_with_no_right_gets_403_and_nothing_is_journaled(api: Api, cared: tuple[str, str]) -> None:
    doctor, patient = cared
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    report = uploaded(api, doctor)
    before = log(api, patient)
    assert_problem(search(api, other), 403)
    assert_problem(api.get(f"{DOCUMENTS}/{report}", other), 404)
    # An unregistered patient answers as a patient the practice has no right on.
    assert_problem(search(api, doctor, matricule="1985030400267"), 403)
    assert log(api, patient) == before


def test_an_appointment_in_the_last_12_months_is_a_care_relationship(
    api: Api, fixed_clock: FixedClock
) -> None:
    from tests.api.test_appointments import HOURS, TOMORROW_8

    doctor = api.doctor()
    patient = api.patient()
    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200
    booked = api.post("/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8})
    assert booked.status == 201, booked.body
    # Booked, not yet had.
    assert_problem(search(api, doctor), 403)
    fixed_clock.advance(timedelta(days=2))
    assert search(api, doctor).status == 200
    fixed_clock.advance(timedelta(days=366))
    assert_problem(search(api, doctor), 403)


def test_a_cancelled_appointment_is_no_care_relationship(api: Api, fixed_clock: FixedClock) -> None:
    from tests.api.test_appointments import HOURS, TOMORROW_8

    doctor = api.doctor()
    patient = api.patient()
    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200
    booked = api.post("/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8})
    assert api.delete(f"/v1/appointments/{booked.json['id']}", patient).status == 204
    fixed_clock.advance(timedelta(days=2))
    assert_problem(search(api, doctor), 403)


def test_a_cancelled_invoice_is_no_care_relationship(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = api.invoice(doctor).json
    assert api.post(f"/v1/invoices/{invoice['id']}/cancel", doctor, {"reason": "erreur"}).status == 200
    assert_problem(search(api, doctor), 403)


def test_an_invoice_makes_care_for_12_months(
    api: Api, cared: tuple[str, str], fixed_clock: FixedClock
) -> None:
    doctor, _ = cared
    fixed_clock.advance(timedelta(days=364))
    assert search(api, doctor).status == 200
    fixed_clock.advance(timedelta(days=2))
    assert_problem(search(api, doctor), 403)


def test_restricted_documents_need_a_grant(api: Api, cared: tuple[str, str]) -> None:
    doctor, patient = cared
    author = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    issued(api, author)
    restricted = uploaded(api, author, confidentiality="restricted")
    # The author sees it; a practice with care only does not.
    assert restricted in seen(api, author)
    assert restricted not in seen(api, doctor)
    assert_problem(api.get(f"{DOCUMENTS}/{restricted}", doctor), 404)
    granted = api.post("/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE})
    assert granted.status == 201
    assert restricted in seen(api, doctor)
    assert api.get(f"{DOCUMENTS}/{restricted}", doctor).status == 200


def test_a_grant_alone_opens_the_record_until_its_last_day(
    api: Api, fixed_clock: FixedClock, cared: tuple[str, str]
) -> None:
    _, patient = cared
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    granted = api.post(
        "/v1/patient/record/grants", patient, {"doctor_code": OTHER_DOCTOR, "until": "2026-11-24"}
    )
    assert granted.status == 201, granted.body
    assert granted.json == {"doctor_code": OTHER_DOCTOR, "name": "Dr Paul Klein", "until": "2026-11-24"}
    assert len(seen(api, other)) == 1
    # The 24th ends at midnight in Luxembourg: 23:00 UTC.
    fixed_clock.advance(timedelta(days=1, hours=13, minutes=29))
    assert search(api, other).status == 200
    fixed_clock.advance(timedelta(minutes=1))
    assert_problem(search(api, other), 403)


def test_a_hidden_document_is_seen_by_its_author_alone(api: Api, cared: tuple[str, str]) -> None:
    doctor, patient = cared
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    issued(api, other)
    report = uploaded(api, other)
    assert report in seen(api, doctor)
    hidden = api.post(f"/v1/patient/documents/{report}/hide", patient)
    assert hidden.status == 200
    assert hidden.json["hidden"] is True
    assert report not in seen(api, doctor)
    assert_problem(api.get(f"{DOCUMENTS}/{report}", doctor), 404)
    assert report in seen(api, other)
    assert api.get(f"{DOCUMENTS}/{report}", other).status == 200
    # The patient still sees it, marked.
    mine = {d["id"]: d["hidden"] for d in api.get("/v1/patient/documents", patient).json["items"]}
    assert mine[report] is True
    assert api.post(f"/v1/patient/documents/{report}/hide", patient).json["hidden"] is True
    shown = api.post(f"/v1/patient/documents/{report}/unhide", patient)
    assert shown.status == 200
    assert shown.json["hidden"] is False
    assert report in seen(api, doctor)


def test_only_the_owner_hides_a_document(api: Api, cared: tuple[str, str]) -> None:
    doctor, _ = cared
    report = uploaded(api, doctor)
    stranger = api.patient(RELATIVE)
    assert_problem(api.post(f"/v1/patient/documents/{report}/hide", stranger), 404)
    assert_problem(api.post("/v1/patient/documents/not-an-id/hide", stranger), 404)
    assert_problem(api.post(f"/v1/patient/documents/{report}/hide", doctor), 403)
    assert report in seen(api, doctor)


def test_a_block_beats_care_and_grant(api: Api, cared: tuple[str, str]) -> None:
    doctor, patient = cared
    report = uploaded(api, doctor)
    assert api.post("/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE}).status == 201
    blocked = api.post("/v1/patient/record/blocks", patient, {"doctor_code": DOCTOR_CODE})
    assert blocked.status == 201
    assert blocked.json == {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber"}
    assert_problem(search(api, doctor), 403)
    # Even its own document.
    assert_problem(api.get(f"{DOCUMENTS}/{report}", doctor), 404)
    assert_problem(search(api, doctor, emergency={"reason": "patient unconscious"}), 403)
    assert api.delete(f"/v1/patient/record/blocks/{DOCTOR_CODE}", patient).status == 204
    assert report in seen(api, doctor)


def test_a_closed_record_is_read_by_no_professional_and_still_by_the_patient(
    api: Api, cared: tuple[str, str]
) -> None:
    doctor, patient = cared
    report = uploaded(api, doctor)
    closed = api.post("/v1/patient/record/close", patient)
    assert closed.status == 200
    assert closed.json == {"status": "closed", "grants": [], "blocks": []}
    assert_problem(search(api, doctor), 403)
    assert_problem(api.get(f"{DOCUMENTS}/{report}", doctor), 404)
    assert_problem(search(api, doctor, emergency={"reason": "patient unconscious"}), 403)
    assert report in [d["id"] for d in api.get("/v1/patient/documents", patient).json["items"]]
    assert api.post("/v1/patient/record/reopen", patient).json["status"] == "open"
    assert report in seen(api, doctor)


def test_search_filters_by_type_and_day_and_pages_newest_first(
    api: Api, cared: tuple[str, str], fixed_clock: FixedClock
) -> None:
    doctor, _ = cared
    made = []
    for _ in range(12):
        fixed_clock.advance(timedelta(hours=6))
        made.append(uploaded(api, doctor))
    reports = seen(api, doctor, type="report")
    assert reports == list(reversed(made))
    pages: list[list[str]] = []
    cursor = ""
    while not pages or cursor:
        got = api.post(
            f"{SEARCH}?limit=5" + (f"&cursor={cursor}" if cursor else ""), doctor, {"matricule": ADULT}
        )
        assert got.status == 200, got.body
        assert ADULT not in (got.json["next_cursor"] or "")
        pages.append([d["id"] for d in got.json["items"]])
        cursor = got.json["next_cursor"] or ""
    assert [d for page in pages for d in page] == [*reversed(made), *seen(api, doctor, type="invoice")]
    assert [len(page) for page in pages] == [5, 5, 3]
    # 09:30 UTC plus 6-hour steps: the third to the sixth fall on 24 November in Luxembourg.
    assert seen(api, doctor, type="report", **{"from": "2026-11-24", "to": "2026-11-24"}) == list(
        reversed(made[2:6])
    )
    assert field_errors(search(api, doctor, **{"from": "2026-11-25", "to": "2026-11-24"})) == ["to"]
    assert field_errors(search(api, doctor, type="letter")) == ["type"]
    assert field_errors(search(api, doctor, **{"from": "1950-01-01"})) == ["from"]
    assert field_errors(search(api, doctor, to="1999-12-31")) == ["to"]


# Emergency


def test_an_emergency_opens_normal_documents_for_24_hours_and_tells_the_patient(
    api: Api, fixed_clock: FixedClock, cared: tuple[str, str]
) -> None:
    author, patient = cared
    emergency = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    normal = uploaded(api, author)
    restricted = uploaded(api, author, confidentiality="restricted")
    hidden = uploaded(api, author)
    assert api.post(f"/v1/patient/documents/{hidden}/hide", patient).status == 200
    assert_problem(search(api, emergency), 403)

    fixed_clock.advance(timedelta(seconds=1))
    opened = search(api, emergency, emergency={"reason": "unconscious, brought in by ambulance"})
    assert opened.status == 200, opened.body
    ids = [d["id"] for d in opened.json["items"]]
    assert normal in ids
    assert restricted not in ids and hidden not in ids
    fixed_clock.advance(timedelta(seconds=1))
    assert api.get(f"{DOCUMENTS}/{normal}", emergency).status == 200
    assert_problem(api.get(f"{DOCUMENTS}/{restricted}", emergency), 404)
    fixed_clock.advance(timedelta(seconds=1))
    entries = [(e["action"], e["actor"]["id"], e["emergency"]) for e in log(api, patient)]
    assert entries[:2] == [("document.read", OTHER_DOCTOR, True), ("record.search", OTHER_DOCTOR, True)]
    # Told at once, each time.
    urgent = [d for d in told() if d["emergency"]]
    assert [(d["action"], d["actor"]["id"]) for d in urgent] == [
        ("record.search", OTHER_DOCTOR),
        ("document.read", OTHER_DOCTOR),
    ]

    fixed_clock.advance(timedelta(hours=23, minutes=59))
    assert normal in seen(api, emergency)
    fixed_clock.advance(timedelta(minutes=1))
    assert_problem(search(api, emergency), 403)


@pytest.mark.parametrize("reason", ["", "too short", "         x"])
def test_an_emergency_needs_a_reason_of_ten_characters(api: Api, cared: tuple[str, str], reason: str) -> None:
    doctor, _ = cared
    assert field_errors(search(api, doctor, emergency={"reason": reason})) == ["emergency.reason"]


def test_an_emergency_is_for_doctors_only(api: Api, cared: tuple[str, str]) -> None:
    doctor, _ = cared
    code = api.post("/v1/practice/enrolment-codes", doctor, {"role": "assistant"}).json["enrolment_code"]
    assistant = api.enrol(code)
    assert_problem(search(api, assistant, emergency={"reason": "patient unconscious"}), 403)
    # An assistant of a practice whose doctor opened a window reads through it no more than before.
    other = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    other_code = api.post("/v1/practice/enrolment-codes", other, {"role": "assistant"}).json["enrolment_code"]
    other_assistant = api.enrol(other_code)
    assert search(api, other, emergency={"reason": "patient unconscious"}).status == 200
    assert_problem(search(api, other_assistant), 403)


# The patient's settings


def test_the_patient_reads_and_changes_their_record(api: Api, cared: tuple[str, str]) -> None:
    _, patient = cared
    api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    assert api.get("/v1/patient/record", patient).json == {"status": "open", "grants": [], "blocks": []}
    assert api.post("/v1/patient/record/grants", patient, {"doctor_code": "654321 09"}).status == 422
    assert api.post("/v1/patient/record/grants", patient, {"doctor_code": "65432109"}).status == 201
    assert (
        api.post(
            "/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE, "until": "2027-01-31"}
        ).status
        == 201
    )
    assert api.post("/v1/patient/record/blocks", patient, {"doctor_code": OTHER_DOCTOR}).status == 201
    assert api.get("/v1/patient/record", patient).json == {
        "status": "open",
        "grants": [
            {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber", "until": "2027-01-31"},
            {"doctor_code": OTHER_DOCTOR, "name": "Dr Paul Klein", "until": None},
        ],
        "blocks": [{"doctor_code": OTHER_DOCTOR, "name": "Dr Paul Klein"}],
    }
    assert api.delete("/v1/patient/record/grants/65432109", patient).status == 204
    assert_problem(api.delete(f"/v1/patient/record/grants/{OTHER_DOCTOR}", patient), 404)
    assert_problem(api.delete("/v1/patient/record/grants/not-a-code", patient), 404)
    assert api.delete(f"/v1/patient/record/blocks/{OTHER_DOCTOR}", patient).status == 204
    assert_problem(api.delete(f"/v1/patient/record/blocks/{OTHER_DOCTOR}", patient), 404)
    assert api.get("/v1/patient/record", patient).json["grants"] == [
        {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber", "until": "2027-01-31"}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"doctor_code": "999999-99"}, "doctor_code"),
        ({"doctor_code": DOCTOR_CODE, "until": "2026-11-22"}, "until"),
        ({"doctor_code": DOCTOR_CODE, "until": "tomorrow"}, "until"),
        ({}, "doctor_code"),
    ],
)
def test_a_bad_grant_names_its_field(
    api: Api, cared: tuple[str, str], body: dict[str, Any], field: str
) -> None:
    _, patient = cared
    assert field_errors(api.post("/v1/patient/record/grants", patient, body)) == [field]
    assert api.get("/v1/patient/record", patient).json["grants"] == []


def test_a_grant_for_today_is_taken(api: Api, cared: tuple[str, str]) -> None:
    _, patient = cared
    assert (
        api.post(
            "/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE, "until": "2026-11-23"}
        ).status
        == 201
    )


def test_a_relative_reads_the_record_settings_and_changes_only_their_own(
    api: Api, cared: tuple[str, str], fixed_clock: FixedClock
) -> None:
    _, patient = cared
    relative = api.patient(RELATIVE)
    asked = api.post("/v1/patient/relatives", relative, {"matricule": ADULT, "relationship": "spouse"})
    assert api.post(f"/v1/patient/relatives/{asked.json['link_id']}/accept", patient).status == 200
    assert api.post("/v1/patient/record/close", patient).status == 200
    fixed_clock.advance(timedelta(seconds=1))
    read = api.get(f"/v1/patient/record?for={api.ids[ADULT]}", relative)
    assert read.status == 200
    assert read.json["status"] == "closed"
    newest = log(api, patient)[0]
    assert (newest["action"], newest["object"]) == (
        "relative.read",
        {"type": "record", "id": None},
    )
    # A relative's change is of their own record.
    assert api.post("/v1/patient/record/reopen", relative).status == 200
    assert api.get("/v1/patient/record", patient).json["status"] == "closed"
    stranger = api.patient("1990010100324")
    assert_problem(api.get(f"/v1/patient/record?for={api.ids[ADULT]}", stranger), 403)


def test_a_record_keeps_at_most_100_grants(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain import record_access

    _, patient = cared
    api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    monkeypatch.setattr(record_access, "MAX_GRANTS", 1)
    assert api.post("/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE}).status == 201
    # Granting the same practice again replaces its grant.
    assert (
        api.post(
            "/v1/patient/record/grants", patient, {"doctor_code": DOCTOR_CODE, "until": "2027-01-01"}
        ).status
        == 201
    )
    assert field_errors(api.post("/v1/patient/record/grants", patient, {"doctor_code": OTHER_DOCTOR})) == [
        "doctor_code"
    ]


@pytest.mark.parametrize("type", [None, "report"])
def test_a_search_page_reads_a_bounded_number_of_documents_whatever_the_practice_may_see(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch, type: str | None
) -> None:
    from bench.awscalls import CallCounter
    from chalicelib.store import base

    doctor, _ = cared
    author = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    oldest = uploaded(api, author)
    # Thirty newer documents the doctor may not see, then the walk to the oldest one.
    for _ in range(30):
        uploaded(api, author, confidentiality="restricted")
    monkeypatch.setattr(base, "READ_BUDGET", 4)
    counter = CallCounter()
    counter.attach()
    found: list[str] = []
    reads: list[tuple[int, int]] = []
    cursor = ""
    body = {"matricule": ADULT, **({"type": type} if type else {})}
    while not reads or cursor:
        assert len(reads) < 40, "the cursor never ends"
        with counter.meter.window() as made:
            got = api.post(f"{SEARCH}?limit=2" + (f"&cursor={cursor}" if cursor else ""), doctor, body)
        assert got.status == 200, got.body
        found += [d["id"] for d in got.json["items"]]
        # The invoice that makes the care relationship, on its index, and the page.
        reads.append((made.calls["dynamodb.Query"], made.items_read))
        cursor = got.json["next_cursor"] or ""
    assert found[0] == oldest
    assert len(found) == (1 if type else 2)
    assert all(queries == 2 and items <= 4 + 1 for queries, items in reads), reads
    assert len(reads) > 30 / 4


def test_an_emergency_whose_journal_entry_fails_opens_nothing(
    api: Api, cared: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.errors import Conflict
    from chalicelib.services import journal

    emergency = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")

    def unwritable(*_: Any, **__: Any) -> None:
        raise Conflict("too many accesses to this patient's data at once; retry")

    with monkeypatch.context() as patched:
        patched.setattr(journal, "record", unwritable)
        assert_problem(search(api, emergency, emergency={"reason": "patient unconscious"}), 409)
    assert_problem(search(api, emergency), 403)
    assert [d for d in told() if d["emergency"]] == []
