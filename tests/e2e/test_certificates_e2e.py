"""Certificates over real HTTP: moto server, `chalice local` and the worker, as `make run`
starts them, with a cancel window of a few seconds (the local stages' setting) that the test
waits out. A doctor issues, the insurer's queue shows the certificate once its window closed,
the insurer reads its sheet and acknowledges, the patient shares with an employer, and the
employer opens the link and its sheet. The three PDFs are read back as text: only the
insurer's has the diagnosis."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
import requests

from chalicelib.domain.calendar import LUXEMBOURG
from local.stack import Stack, running
from tests.matricules import matricule

# Long enough for the issuing request and the first queue read on a busy machine.
WINDOW_SECONDS = 10
DIAGNOSIS = "M54.5"
PDF = {"Accept": "application/pdf"}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    previous = os.environ.get("DHN_CERTIFICATE_CANCEL_SECONDS")
    os.environ["DHN_CERTIFICATE_CANCEL_SECONDS"] = str(WINDOW_SECONDS)
    try:
        with running() as started:
            yield started
    finally:
        if previous is None:
            del os.environ["DHN_CERTIFICATE_CANCEL_SECONDS"]
        else:
            os.environ["DHN_CERTIFICATE_CANCEL_SECONDS"] = previous


def call(stack: Stack, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **kw.pop("headers", {})}
    return requests.request(method, f"{stack.base_url}{path}", headers=headers, timeout=30, **kw)


def ok(stack: Stack, method: str, path: str, token: str | None = None, status: int = 200, **kw: Any) -> Any:
    answer = call(stack, method, path, token, **kw)
    assert answer.status_code == status, answer.text
    return answer.json()


def text_of(answer: requests.Response) -> str:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/pdf"
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(answer.content))


def test_issue_transmit_share_and_print(stack: Stack) -> None:
    operator = stack.operator_token
    enrolment = ok(
        stack,
        "POST",
        "/v1/doctors",
        operator,
        201,
        json={"doctor_code": "812345-67", "name": "Dr Lea Hoffmann"},
    )
    doctor = ok(
        stack,
        "POST",
        "/v1/devices",
        None,
        201,
        json={"enrolment_code": enrolment["enrolment_code"], "device_name": "PC"},
    )["token"]
    number = matricule("19800101", "417")
    registered = ok(
        stack,
        "POST",
        "/v1/patients",
        operator,
        201,
        json={
            "matricule": number,
            "name": "Tom Wagner",
            "insurer": "CNS",
            "digital_admin": "opted_in",
            "app_active": True,
        },
    )
    patient = ok(stack, "POST", f"/v1/patients/{registered['patient_id']}/tokens", operator, 201)["token"]
    insurer = ok(stack, "POST", "/v1/insurers/CNS/tokens", operator, 201)["token"]

    today = datetime.now(LUXEMBOURG).date()
    certificate = ok(
        stack,
        "POST",
        "/v1/certificates",
        doctor,
        201,
        json={
            "patient_matricule": number,
            "kind": "initial",
            "start": today.isoformat(),
            "end": (today + timedelta(days=6)).isoformat(),
            "diagnosis_code": DIAGNOSIS,
            "outings_allowed": False,
            "accident": True,
        },
        headers={"Idempotency-Key": "e2e-cit-1"},
    )
    cid = certificate["id"]
    issued_at = datetime.fromisoformat(certificate["issued_at"])
    assert datetime.fromisoformat(certificate["cancel_until"]) - issued_at == timedelta(
        seconds=WINDOW_SECONDS
    )

    # Not the insurer's before the window closes; then at the head of its queue.
    before = ok(stack, "GET", "/v1/insurer/certificates?limit=100", insurer)["items"]
    if datetime.now(UTC) < datetime.fromisoformat(certificate["cancel_until"]) - timedelta(seconds=1):
        assert before == []
    deadline = time.monotonic() + WINDOW_SECONDS + 15
    queued: list[dict[str, Any]] = []
    while not queued and time.monotonic() < deadline:
        time.sleep(0.5)
        queued = ok(stack, "GET", "/v1/insurer/certificates?status=issued&limit=100", insurer)["items"]
    assert [c["id"] for c in queued] == [cid]
    assert queued[0]["diagnosis_code"] == DIAGNOSIS
    assert (
        call(stack, "POST", f"/v1/certificates/{cid}/cancel", doctor, json={"reason": "x"}).status_code == 409
    )
    insurer_text = text_of(call(stack, "GET", f"/v1/insurer/certificates/{cid}/pdf", insurer, headers=PDF))
    assert DIAGNOSIS in insurer_text
    assert ok(stack, "POST", f"/v1/insurer/certificates/{cid}/acknowledge", insurer)["acknowledged_at"]

    patient_text = text_of(call(stack, "GET", f"/v1/patient/certificates/{cid}/pdf", patient, headers=PDF))
    assert "Volet destiné à l'assuré" in patient_text
    assert DIAGNOSIS not in patient_text
    shared = ok(
        stack,
        "POST",
        f"/v1/patient/certificates/{cid}/employer-shares",
        patient,
        201,
        json={"employer_name": "Luxlait"},
    )
    view = ok(stack, "GET", shared["url"])
    assert view["patient_name"] == "Tom Wagner"
    assert DIAGNOSIS not in str(view)
    employer_text = text_of(call(stack, "GET", f"{shared['url']}/pdf", headers=PDF))
    assert "Volet destiné à l'employeur" in employer_text
    assert "Tom Wagner" in employer_text
    for secret in (DIAGNOSIS, number, "accident"):
        assert secret not in employer_text

    log = ok(stack, "GET", "/v1/patient/access-log", patient)["items"]
    employers = [e["actor"] for e in log if e["actor"]["kind"] == "employer"]
    assert employers == [{"kind": "employer", "id": cid, "name": "Luxlait"}] * 2
    assert (
        call(
            stack, "DELETE", f"/v1/patient/certificates/{cid}/employer-shares/{shared['code']}", patient
        ).status_code
        == 204
    )
    assert call(stack, "GET", shared["url"]).status_code == 404
