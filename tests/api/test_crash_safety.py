"""Crashes and failing dependencies in the middle of a creating request. Lambda can die at any
instruction; here an exception is raised at a chosen point after the transaction commits and
before the answer leaves (the edge answers it 500, as API Gateway would a dead function), and
the client sends the request again with its Idempotency-Key: it must get the first answer and
nothing must be made twice. S3 failing is a 503 with Retry-After that leaves nothing half
written: no invoice, no number taken, no object in the bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.core import config
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict
from chalicelib.domain.idempotency import Made
from local import receiver as receivers
from tests.api.conftest import ADULT, OPERATOR, Answer, Api, Rounds
from tests.api.test_webhook_delivery import subscribe

PROOF = {"method": "card", "reference": "TX-42", "paid_at": "2026-11-20T10:00:00Z"}
HOURS = {
    "slot_minutes": 30,
    "weekly": [{"weekday": day, "start": "08:00", "end": "12:00"} for day in range(1, 6)],
    "exceptions": [],
}
TOMORROW_8 = "2026-11-24T08:00:00+01:00"


def crash_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[Any]:
    """`target.name` raises the first time it is called, after noting what it was given, as
    if the process died there; it works as before from then on."""
    real: Callable[..., Any] = getattr(target, name)
    seen: list[Any] = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append(args)
            raise RuntimeError("the function died here")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, crashing)
    return seen


def failing_s3(
    monkeypatch: pytest.MonkeyPatch, only: str | None = None, after: str | None = None
) -> list[str]:
    """S3 fails as it does when it cannot serve: every call (or only `only`), from the start
    or from the first DynamoDB `after` call on; the calls refused."""
    real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private, untyped)
    refused: list[str] = []
    seen: list[str] = []

    def call(client: Any, name: str, params: dict[str, Any]) -> Any:
        seen.append(name)
        s3 = client.meta.service_model.service_name == "s3"
        if s3 and name == (only or name) and (after is None or after in seen):
            refused.append(name)
            error: Any = {
                "Error": {"Code": "ServiceUnavailable", "Message": "Please reduce your request rate."}
            }
            raise ClientError(error, name)
        return real(client, name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    return refused


def objects(prefix: str = "") -> list[str]:
    """Every current object of the vault under `prefix`."""
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=config.vault_bucket(), Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def items(short: str) -> list[dict[str, Any]]:
    """Every item of a table (the test's handful; no code path of the service scans)."""
    import boto3

    return list(boto3.client("dynamodb").scan(TableName=config.table_name(short))["Items"])


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def issue(api: Api, doctor: str, name: str, **fields: Any) -> Answer:
    body = {
        "patient_matricule": ADULT,
        "service_date": "2026-11-20",
        "lines": [{"code": "C1", "quantity": 1}],
        "payment": {"method": "card", "amount_cents": 5770},
        **fields,
    }
    return api.post("/v1/invoices", doctor, body, headers=key(name))


@pytest.fixture
def doctor(api: Api) -> str:
    token = api.doctor()
    api.register()
    return token


# Invoices


@pytest.mark.parametrize(
    ("module", "name"),
    [
        # The copy staged, nothing committed.
        ("chalicelib.store.invoice_issuance", "issue"),
        # Committed, the copy not yet in place.
        ("chalicelib.store.vault", "publish"),
        # Everything done, the answer not yet shaped.
        ("chalicelib.api.invoices", "invoice_json"),
    ],
)
def test_an_invoice_retried_after_a_crash_is_the_first_one(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch, module: str, name: str
) -> None:
    import importlib

    crash_once(monkeypatch, importlib.import_module(module), name)
    crashed = issue(api, doctor, "pc1-crash")
    assert crashed.status == 500
    retried = issue(api, doctor, "pc1-crash")
    assert retried.status == 201, retried.body
    assert issue(api, doctor, "pc1-crash").json == retried.json
    invoice = retried.json
    assert invoice["number"] == "2026-000001"
    # The answer the first request would have given: the invoice as it was issued.
    assert api.get(f"/v1/invoices/{invoice['id']}", doctor).json == invoice
    assert [i["id"] for i in api.get("/v1/invoices", doctor).json["items"]] == [invoice["id"]]
    document_id = invoice["vault"]["document_id"]
    # One copy in place, for this invoice; the bucket holds nothing else but what is staged,
    # which a lifecycle rule expires (tests/infra).
    assert objects("documents/") == [f"documents/{document_id}.pdf"]
    assert all(k.startswith("staging/") for k in objects() if not k.startswith("documents/"))
    assert [e["type"]["S"] for e in items("outbox")].count("invoice.issued") == 1
    # The numbering goes on without a gap.
    assert issue(api, doctor, "pc1-next").json["number"] == "2026-000002"


def test_the_copy_put_in_place_on_a_retry_is_the_invoice(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from chalicelib.store import vault

    crash_once(monkeypatch, vault, "publish")
    issue(api, doctor, "pc1-crash")
    invoice = issue(api, doctor, "pc1-crash").json
    body = (
        boto3.client("s3")
        .get_object(Bucket=config.vault_bucket(), Key=f"documents/{invoice['vault']['document_id']}.pdf")[
            "Body"
        ]
        .read()
    )
    assert body.startswith(b"%PDF")
    patient = api.login()
    [document] = api.get("/v1/patient/documents", patient).json["items"]
    assert document["id"] == invoice["vault"]["document_id"]


def test_a_direct_payment_retried_after_a_crash_files_one_claim(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import invoices

    insurer = api.insurer("CNS")
    crash_once(monkeypatch, invoices, "invoice_json")
    fields = {"direct_payment": True, "payment": {"method": "card", "amount_cents": 692}}
    assert issue(api, doctor, "pid-1", **fields).status == 500
    retried = issue(api, doctor, "pid-1", **fields)
    assert retried.status == 201, retried.body
    [claim] = api.get("/v1/insurer/claims", insurer).json["items"]
    assert claim["id"] == retried.json["claim"]["id"]
    assert claim["invoice_id"] == retried.json["id"]
    assert len(items("claims")) == 1


def test_a_retry_with_another_body_after_a_crash_is_422(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import invoices

    crash_once(monkeypatch, invoices, "invoice_json")
    issue(api, doctor, "pc1-crash")
    other = issue(api, doctor, "pc1-crash", service_date="2026-11-19")
    assert other.status == 422
    assert [e["field"] for e in other.json["errors"]] == ["Idempotency-Key"]
    assert len(items("invoices")) == 1


def test_a_key_answers_for_24_hours_only(api: Api, doctor: str, fixed_clock: FixedClock) -> None:
    first = issue(api, doctor, "pc1-day")
    fixed_clock.advance(timedelta(hours=25))
    doctor_again = doctor  # a device's token outlives the key's record
    later = issue(api, doctor_again, "pc1-day", service_date="2026-11-21")
    assert later.status == 201, later.body
    assert later.json["id"] != first.json["id"]
    assert later.json["number"] == "2026-000002"


def test_a_twin_that_commits_second_writes_nothing(api: Api, doctor: str) -> None:
    """Two requests with one key that both reach their transaction (the second sent before
    the first answered): the second finds the record committed, and nothing of it is written."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.store import idempotency
    from chalicelib.store.outbox import OutboxEvent

    record = Made(
        "made#twin", "fingerprint", "inv_01KAAAAAAAAAAAAAAAAAAAAAAA", api_now() + timedelta(hours=24)
    )

    def write(name: str) -> Callable[[TransactWrite], None]:
        def add(tx: TransactWrite) -> None:
            tx.save(OutboxEvent(f"evt_{name}", type="twin.test", occurred_at=api_now(), data={}))

        return add

    assert idempotency.transact(write("first"), record)
    with pytest.raises(Conflict):
        idempotency.transact(write("second"), record)
    assert [e["event_id"]["S"] for e in items("outbox") if e["type"]["S"] == "twin.test"] == ["evt_first"]
    assert idempotency.find("made#twin") == record


def api_now() -> Any:
    from chalicelib.core import clock

    return clock.current().now()


# A request never retried: the relay puts the copy in place before the patient is told


def test_a_copy_a_crash_left_staged_is_in_place_before_the_patient_is_told(
    api: Api, doctor: str, rounds: Rounds, receiver: receivers.Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.store import vault

    patient = api.login()
    subscribe(api, patient, receiver, events=["document.received"])
    crash_once(monkeypatch, vault, "publish")
    assert issue(api, doctor, "pc1-crash").status == 500
    [document] = api.get("/v1/patient/documents", patient).json["items"]
    assert objects("documents/") == []

    rounds.tick()

    key = f"documents/{document['id']}.pdf"
    assert objects("documents/") == [key]
    assert vault.read(key).startswith(b"%PDF")
    [told] = receiver.delivered()
    assert (told.body["type"], told.body["data"]["document_id"]) == ("document.received", document["id"])


def test_an_upload_a_crash_left_pending_is_in_place_before_the_patient_is_told(
    api: Api, doctor: str, rounds: Rounds, receiver: receivers.Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.store import vault
    from tests.api.test_records import DOCUMENTS, PDF, announced, put

    patient = api.login()
    subscribe(api, patient, receiver, events=["document.received"])
    made = announced(api, doctor)
    put(made.json["upload"], PDF)
    crash_once(monkeypatch, vault, "promote")
    assert api.post(f"{DOCUMENTS}/{made.json['id']}/complete", doctor).status == 500
    assert objects("documents/") == []

    rounds.tick()

    assert objects("documents/") == [f"documents/{made.json['id']}.pdf"]
    assert vault.read(f"documents/{made.json['id']}.pdf") == PDF
    [told] = receiver.delivered()
    assert told.body["data"]["document_id"] == made.json["id"]


def test_a_document_in_no_place_is_never_announced_and_is_set_aside(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    from chalicelib.core import ids
    from chalicelib.domain.events import Event
    from chalicelib.services import webhook_delivery
    from chalicelib.store import outbox

    patient = api.patient()
    subscribe(api, patient, receiver, events=["document.received"])
    now = fixed_clock.now()
    missing = ids.new_id("doc", now)
    lost = Event(ids.new_id("evt", now), "document.received", now, {"document_id": missing}, patient=ADULT)
    outbox.save(lost)

    for _ in range(webhook_delivery.MAX_RELAY_FAILURES):
        rounds.tick()
        fixed_clock.advance(webhook_delivery.STREAM_LAG)

    assert receiver.delivered() == []
    (dead,) = webhook_delivery.dead_events(10)
    assert (dead.event_id, dead.error) == (
        lost.event_id,
        f"LookupError: document {missing} is not in the vault",
    )


# S3 failing


def test_s3_failing_before_the_commit_is_a_503_that_leaves_nothing(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = failing_s3(monkeypatch)
    failed = issue(api, doctor, "pc1-s3")
    assert failed.status == 503, failed.body
    assert failed.headers["content-type"] == "application/problem+json"
    assert int(failed.headers["retry-after"]) >= 1
    assert refused == ["PutObject"]
    monkeypatch.undo()
    assert objects() == []
    for short in ("invoices", "counters", "documents", "claims", "outbox", "idempotency"):
        assert items(short) == [], short
    # The same request, once S3 answers, is issued under the first number.
    again = issue(api, doctor, "pc1-s3")
    assert again.status == 201, again.body
    assert again.json["number"] == "2026-000001"
    assert objects("documents/") == [f"documents/{again.json['vault']['document_id']}.pdf"]


def test_s3_failing_after_the_commit_is_a_503_that_the_retry_completes(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = failing_s3(monkeypatch, after="TransactWriteItems")
    failed = issue(api, doctor, "pc1-s3")
    assert failed.status == 503, failed.body
    assert "retry-after" in failed.headers
    # The copy, then the repair the failure set off at once (it finds the record).
    assert refused == ["CopyObject", "HeadObject"]
    monkeypatch.undo()
    assert objects("documents/") == []
    retried = issue(api, doctor, "pc1-s3")
    assert retried.status == 201, retried.body
    assert retried.json["number"] == "2026-000001"
    assert objects("documents/") == [f"documents/{retried.json['vault']['document_id']}.pdf"]
    assert len(items("invoices")) == 1


def test_a_copy_that_fails_after_the_commit_is_put_in_place_at_once(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure finds the request's record, whose answer puts the copy in place itself."""
    refused = failing_s3(monkeypatch, only="CopyObject")
    made = issue(api, doctor, "pc1-s3")
    assert made.status == 201, made.body
    assert refused == ["CopyObject"]
    assert objects("documents/") == [f"documents/{made.json['vault']['document_id']}.pdf"]


# Claims, bookings and enrolment


def test_a_claim_retried_after_a_crash_is_the_first_one(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import claims

    patient = api.login()
    invoice = issue(api, doctor, "pc1-paid").json
    crash_once(monkeypatch, claims, "claim_json")
    body = {"invoice_id": invoice["id"], "proof_of_payment": PROOF}
    assert api.post("/v1/patient/claims", patient, body, headers=key("claim-1")).status == 500
    retried = api.post("/v1/patient/claims", patient, body, headers=key("claim-1"))
    assert retried.status == 201, retried.body
    assert api.post("/v1/patient/claims", patient, body, headers=key("claim-1")).json == retried.json
    assert [c["id"] for c in api.get("/v1/patient/claims", patient).json["items"]] == [retried.json["id"]]
    # Without the key it is another claim of the same invoice: refused.
    assert api.post("/v1/patient/claims", patient, body).status == 409


def test_a_paper_claim_retried_after_a_crash_is_the_first_one(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import claims

    insurer = api.insurer("CNS")
    invoice = issue(api, doctor, "pc1-paid").json
    crash_once(monkeypatch, claims, "claim_json")
    body = {"qr": invoice["qr"], "proof_of_payment": PROOF}
    assert api.post("/v1/insurer/claims", insurer, body, headers=key("paper-1")).status == 500
    retried = api.post("/v1/insurer/claims", insurer, body, headers=key("paper-1"))
    assert retried.status == 201, retried.body
    assert [c["id"] for c in api.get("/v1/insurer/claims", insurer).json["items"]] == [retried.json["id"]]


def test_a_booking_retried_after_a_crash_is_the_first_one(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import appointments

    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200
    patient = api.login()
    body = {"doctor_code": "123456-78", "start": TOMORROW_8}
    crash_once(monkeypatch, appointments, "appointment_json")
    assert api.post("/v1/appointments", patient, body, headers=key("book-1")).status == 500
    retried = api.post("/v1/appointments", patient, body, headers=key("book-1"))
    assert retried.status == 201, retried.body
    mine = api.get("/v1/patient/appointments", patient).json["items"]
    assert [a["id"] for a in mine] == [retried.json["id"]]
    assert len(items("appointment-places")) == 2
    # Another patient's key of the same name is theirs: the slot is taken.
    other = api.patient("1985030400267")
    assert api.post("/v1/appointments", other, body, headers=key("book-1")).status == 409


def test_an_enrolment_retried_after_a_crash_is_409_and_makes_one_device(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import practice

    made = api.post("/v1/doctors", OPERATOR, {"doctor_code": "123456-78", "name": "Dr Anne Weber"})
    code = made.json["enrolment_code"]
    crash_once(monkeypatch, practice, "issued_json")
    body = {"enrolment_code": code, "device_name": "PC accueil"}
    assert api.post("/v1/devices", None, body, headers=key("enrol-1")).status == 500
    # The token is never answered twice: the code was spent with the device, together.
    assert api.post("/v1/devices", None, body, headers=key("enrol-1")).status == 409
    assert len(items("devices")) == 1
    assert len(items("tokens")) == 1
