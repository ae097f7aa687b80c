"""What DHN writes while it works (logs and metrics) names no person and leaks no credential.

A whole flow runs with every log captured (DHN's own at DEBUG, every library at INFO, and the
metrics on stdout): onboarding, enrolment, an invoice for an opted-in patient, the insurer's
scan and the patient's download. Then none of the personal data or secrets the flow handled
may appear in what was written.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chalicelib.core.observability import INVOICES_ISSUED, logger
from tests.api.conftest import ADULT, OPERATOR, Api

DOCTOR_NAME = "Dr Anne Weber"
PATIENT_NAME = "Marie Schmit"


@dataclass
class Captured:
    stream: io.StringIO = field(default_factory=io.StringIO)

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    found = Captured()
    ours = logging.getLogger(logger().name)
    handler = logging.StreamHandler(found.stream)
    handler.setFormatter(logger().registered_formatter)
    everything = logging.StreamHandler(found.stream)
    root = logging.getLogger()
    previous = (ours.level, root.level)
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG)
    root.addHandler(everything)
    root.setLevel(logging.INFO)
    try:
        yield found
    finally:
        ours.removeHandler(handler)
        root.removeHandler(everything)
        ours.setLevel(previous[0])
        root.setLevel(previous[1])


def _flow(api: Api) -> list[str]:
    """Run the whole flow; the secrets and personal data it handled."""
    made = api.post(
        "/v1/doctors",
        OPERATOR,
        {"doctor_code": "123456-78", "name": DOCTOR_NAME, "specialty": "Médecine générale"},
    )
    assert made.status == 201, made.body
    enrolment_code = made.json["enrolment_code"]
    doctor = api.enrol(enrolment_code)
    patient = api.patient(ADULT)
    insurer = api.insurer()

    body = {
        "patient_matricule": ADULT,
        "service_date": "2026-11-20",
        "lines": [{"code": "C1", "quantity": 1}],
        "payment": {"method": "card", "amount_cents": 5770},
    }
    issued = api.post(
        "/v1/invoices", doctor, body, headers={"idempotency-key": "flow-1", "x-request-id": "req-flow-1"}
    )
    assert issued.status == 201, issued.body
    assert issued.headers["x-request-id"] == "req-flow-1"
    invoice = issued.json
    assert invoice["vault"]["stored"]

    scanned = api.post("/v1/insurer/scan", insurer, {"qr": invoice["qr"]})
    assert scanned.status == 200, scanned.body
    listed = api.get("/v1/patient/documents", patient)
    assert listed.status == 200, listed.body
    document_id = listed.json["items"][0]["id"]
    downloaded = api.get(f"/v1/patient/documents/{document_id}", patient)
    assert downloaded.status == 200, downloaded.body
    # A refused request is logged too: a status lookup, its matricule in the body.
    refused = api.post("/v1/patients/status", insurer, {"matricule": ADULT})
    assert refused.status == 403

    url = downloaded.json["download_url"]
    return [
        ADULT,
        PATIENT_NAME,
        "Schmit",
        DOCTOR_NAME,
        "Weber",
        OPERATOR,
        enrolment_code,
        doctor,
        patient,
        insurer,
        invoice["qr"],
        url.split("?", 1)[1],
        os.environ["DHN_QR_SIGNING_KEY"],
    ]


def test_logs_and_metrics_of_a_whole_flow_name_no_one(
    api: Api, captured: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = _flow(api)
    written = captured.lines() + capsys.readouterr().out.splitlines()

    ours = [json.loads(line) for line in captured.lines() if line.startswith("{")]
    requests = [r for r in ours if r.get("message") == "request"]
    assert len(requests) >= 8, "every request is logged"
    flagged = [r for r in requests if r.get("correlation_id") == "req-flow-1"]
    assert [r["route"] for r in flagged] == ["/v1/invoices"]
    metrics = [json.loads(line) for line in written if INVOICES_ISSUED in line]
    assert [m[INVOICES_ISSUED] for m in metrics] == [[1.0]]

    text = "\n".join(written)
    leaked = [secret for secret in secrets if secret and secret in text]
    assert not leaked, f"{len(leaked)} secret or personal value(s) found in the logs"
