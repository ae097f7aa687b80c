"""The diagnosis of a certificate reaches the insurer, and the doctor who wrote it, and nothing
else. A whole flow runs (issue, the insurer's queue, read and sheet, acknowledgement, the
patient's reads, an employer's link opened and printed) while every log line, metric, event
payload, webhook body, URL, vault object key and answer to anyone but the insurer and the
doctor is captured; then the diagnosis code is searched for in all of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core import config, signing_keys
from chalicelib.core.clock import FixedClock
from chalicelib.domain import certificate_token
from chalicelib.store.outbox import OutboxEvent
from local.receiver import Receiver
from tests.api.conftest import ADULT, Answer, Api, Rounds
from tests.api.test_certificates import PDF, body, pdf_text
from tests.api.test_log_privacy import Captured, captured  # noqa: F401 (a fixture)
from tests.api.test_practice import new_code

DIAGNOSIS = "J06.9"


class Recording(Api):
    """An `Api` that keeps every URL it called and every answer it got, by caller."""

    def __init__(self, api: Api) -> None:
        super().__init__(api.client)
        self.ids = api.ids
        self.urls: list[str] = []
        self.answers: list[tuple[str | None, Answer]] = []

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        answer = super().call(method, path, token, body, headers)
        self.urls.append(path)
        self.answers.append((token, answer))
        return answer


def test_the_diagnosis_reaches_the_insurer_and_nothing_else(
    api: Api,
    fixed_clock: FixedClock,
    rounds: Rounds,
    receiver: Receiver,
    captured: Captured,  # noqa: F811 (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
) -> None:
    http = Recording(api)
    doctor = http.doctor()
    assistant = http.enrol(new_code(http, doctor, "assistant"))
    http.register(ADULT)
    patient = http.login(ADULT)
    insurer = http.insurer()
    for owner in (patient, doctor):
        hook = http.post("/v1/webhooks", owner, {"url": receiver.url})
        assert hook.status == 201, hook.body
        receiver.secrets.append(hook.json["secret"])

    made = http.post(
        "/v1/certificates", doctor, body(diagnosis_code=DIAGNOSIS), headers={"idempotency-key": "k1"}
    )
    assert made.status == 201, made.body
    certificate = made.json
    assert certificate["diagnosis_code"] == DIAGNOSIS
    cid = certificate["id"]
    assert http.get(f"/v1/certificates/{cid}", assistant).status == 403
    fixed_clock.advance(timedelta(hours=1))

    queue = http.get("/v1/insurer/certificates?status=issued&late=false", insurer)
    assert [c["diagnosis_code"] for c in queue.json["items"]] == [DIAGNOSIS]
    assert http.get(f"/v1/insurer/certificates/{cid}", insurer).json["diagnosis_code"] == DIAGNOSIS
    insurer_sheet = http.get(f"/v1/insurer/certificates/{cid}/pdf", insurer, headers=PDF)
    assert DIAGNOSIS in pdf_text(insurer_sheet.body)
    assert http.post(f"/v1/insurer/certificates/{cid}/acknowledge", insurer).status == 200

    assert http.get("/v1/patient/certificates", patient).status == 200
    assert http.get(f"/v1/patient/certificates/{cid}", patient).status == 200
    patient_sheet = http.get(f"/v1/patient/certificates/{cid}/pdf", patient, headers=PDF)
    shared = http.post(
        f"/v1/patient/certificates/{cid}/employer-shares", patient, {"employer_name": "Cactus"}
    )
    assert shared.status == 201
    assert http.get(shared.json["url"]).status == 200
    employer_sheet = http.get(f"{shared.json['url']}/pdf", headers=PDF)
    assert employer_sheet.status == 200
    assert http.get("/v1/patient/access-log", patient).status == 200
    documents = http.get("/v1/patient/documents", patient).json["items"]
    downloaded = http.get(f"/v1/patient/documents/{documents[0]['id']}", patient)
    assert downloaded.status == 200
    rounds.tick(3)
    assert receiver.wait_for(4, 5)

    outputs: dict[str, list[str]] = {
        "log lines and metrics": captured.lines() + capsys.readouterr().out.splitlines(),
        "event payloads": [str(e.data) for e in OutboxEvent.scan()],
        "webhook bodies": [str(r.body) for r in receiver.received],
        "URLs": [*http.urls, downloaded.json["download_url"]],
        "answers to others": [
            a.body.decode("latin-1") for token, a in http.answers if token not in (insurer, doctor)
        ],
        "PDF text of the patient's and the employer's sheets": [
            pdf_text(patient_sheet.body),
            pdf_text(employer_sheet.body),
        ],
        "vault object keys": [
            o["Key"]
            for o in boto3.client("s3").list_objects_v2(Bucket=config.vault_bucket()).get("Contents", [])
        ],
    }
    assert {type for r in receiver.received for type in [r.body["type"]]} >= {
        "certificate.issued",
        "certificate.transmitted",
        "document.received",
        "record.accessed",
    }
    for what, texts in outputs.items():
        assert texts, what
        leaks = [text for text in texts if DIAGNOSIS in text]
        assert leaks == [], what
    # The share code is a credential: logged in no line, though its route is.
    logged = outputs["log lines and metrics"]
    assert any("/v1/employer/certificates/{code}" in line for line in logged)
    assert not [line for line in logged if shared.json["code"] in line]

    # The QR token: what its signed payload asserts, decoded, names dates and an insurer only.
    claims = certificate_token.decode(certificate["qr"], signing_keys.verification_keys())
    assert DIAGNOSIS not in str(claims)
    assert DIAGNOSIS not in certificate["qr"]
