"""Claims over real HTTP: moto server, `chalice local` and the worker, as `make run` starts
them. The end-to-end flows of the three channels, and the races that must have one winner
(threads against the single-request moto server, whose transactions are atomic)."""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from stdnum import luhn, verhoeff

from chalicelib.domain.calendar import LUXEMBOURG, rfc3339
from local.stack import Stack, running

_serial = itertools.count(1)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


@dataclass
class Http:
    stack: Stack

    def call(self, method: str, path: str, token: str | None, body: Any = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(
            method, f"{self.stack.base_url}/v1{path}", json=body, headers=headers, timeout=30
        )

    def ok(self, method: str, path: str, token: str | None, body: Any = None, status: int = 200) -> Any:
        answer = self.call(method, path, token, body)
        assert answer.status_code == status, answer.text
        return answer.json()

    def operator(self, path: str, body: Any = None) -> Any:
        return self.ok("POST", path, self.stack.operator_token, body, 201)


@dataclass
class Actors:
    http: Http
    doctor: str
    doctor_code: str
    matricule: str
    patient: str
    insurer: str

    def invoice(self, **fields: Any) -> dict[str, Any]:
        body = {
            "patient_matricule": self.matricule,
            "service_date": datetime.now(LUXEMBOURG).date().isoformat(),
            "lines": [{"code": "C1", "quantity": 1}],
            **fields,
        }
        return dict(self.http.ok("POST", "/invoices", self.doctor, body, 201))

    def pay(self, invoice: dict[str, Any], cents: int) -> dict[str, Any]:
        body = {"amount_cents": cents, "method": "card"}
        return dict(self.http.ok("POST", f"/invoices/{invoice['id']}/payments", self.doctor, body, 201))

    def poll_pending(self, invoice_id: str) -> dict[str, Any]:
        """The insurer walks its queue page by page until the claim of this invoice shows."""
        cursor = ""
        while True:
            page = self.http.ok("GET", f"/insurer/claims?status=pending&limit=100{cursor}", self.insurer)
            for claim in page["items"]:
                if claim["invoice_id"] == invoice_id:
                    return dict(claim)
            assert page["next_cursor"], "the claim is not in the insurer's queue"
            cursor = f"&cursor={page['next_cursor']}"


def _matricule(n: int) -> str:
    first = f"1980010{n:04d}"
    return first + luhn.calc_check_digit(first) + verhoeff.calc_check_digit(first)


@pytest.fixture
def actors(stack: Stack) -> Actors:
    """A new practice and a new patient for each test: the stack is shared by the module."""
    http = Http(stack)
    n = next(_serial)
    code = f"{700000 + n:06d}-{n % 100:02d}"
    enrolment = http.operator("/doctors", {"doctor_code": code, "name": "Dr Lea Hoffmann"})
    device = http.ok(
        "POST", "/devices", None, {"enrolment_code": enrolment["enrolment_code"], "device_name": "PC"}, 201
    )
    matricule = _matricule(n)
    registered = http.operator(
        "/patients",
        {
            "matricule": matricule,
            "name": "Tom Wagner",
            "insurer": "CNS",
            "digital_admin": "opted_in",
            "app_active": True,
        },
    )
    patient = http.operator(f"/patients/{registered['patient_id']}/tokens")["token"]
    insurer = http.operator("/insurers/CNS/tokens")["token"]
    return Actors(http, device["token"], code, matricule, patient, insurer)


def proof() -> dict[str, str]:
    return {
        "method": "card",
        "reference": "TX-1",
        "paid_at": rfc3339(datetime.now(UTC) - timedelta(seconds=1)),
    }


def outbox(stack: Stack, type: str, claim_id: str) -> list[dict[str, Any]]:
    """Events of `type` about one claim, read straight from the outbox table in moto."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    found = []
    for page in dynamodb.get_paginator("scan").paginate(TableName="dhn-local-outbox"):
        for item in page["Items"]:
            data = json.loads(item["data"]["S"])
            if item["type"]["S"] == type and data.get("claim_id") == claim_id:
                found.append(data)
    return found


def race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run the calls at once, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


# The three ways a claim reaches the insurer.


def test_patient_claim_from_issue_to_reimbursement(actors: Actors, stack: Stack) -> None:
    http = actors.http
    invoice = actors.invoice()
    assert actors.pay(invoice, invoice["total_cents"])["status"] == "paid"
    body = {"invoice_id": invoice["id"], "proof_of_payment": proof()}
    claim = http.ok("POST", "/patient/claims", actors.patient, body, 201)
    assert claim["status"] == "pending"

    queued = actors.poll_pending(invoice["id"])
    assert queued["id"] == claim["id"]
    decision = {"outcome": "reimbursed", "payment_reference": "CNS-PAY-1"}
    decided = http.ok("POST", f"/insurer/claims/{claim['id']}/decision", actors.insurer, decision)
    assert decided["decision"]["reimbursed_cents"] == invoice["insurer_share_cents"]

    mine = http.ok("GET", "/patient/claims", actors.patient)["items"]
    assert [(c["id"], c["status"]) for c in mine] == [(claim["id"], "reimbursed")]
    assert http.ok("GET", f"/invoices/{invoice['id']}", actors.doctor)["status"] == "reimbursed"
    assert len(outbox(stack, "claim.submitted", claim["id"])) == 1
    assert len(outbox(stack, "claim.decided", claim["id"])) == 1


def test_paper_claim_from_the_printed_qr_code(actors: Actors) -> None:
    http = actors.http
    invoice = actors.invoice(payment={"method": "cash", "amount_cents": 5770})
    scanned = http.ok("POST", "/insurer/scan", actors.insurer, {"qr": invoice["qr"]})
    assert scanned["id"] == invoice["id"]
    claim = http.ok(
        "POST", "/insurer/claims", actors.insurer, {"qr": invoice["qr"], "proof_of_payment": proof()}, 201
    )
    assert claim["channel"] == "paper"

    assert actors.poll_pending(invoice["id"])["id"] == claim["id"]
    http.ok("POST", f"/insurer/claims/{claim['id']}/decision", actors.insurer, {"outcome": "reimbursed"})
    [mine] = http.ok("GET", "/patient/claims", actors.patient)["items"]
    assert (mine["id"], mine["status"]) == (claim["id"], "reimbursed")


def test_direct_payment_from_issue_to_settlement(actors: Actors, stack: Stack) -> None:
    http = actors.http
    invoice = actors.invoice(direct_payment=True)
    assert invoice["status"] == "claimed"
    actors.pay(invoice, invoice["patient_share_cents"])

    claim = actors.poll_pending(invoice["id"])
    assert (claim["kind"], claim["amount_claimed_cents"]) == (
        "direct_payment",
        invoice["insurer_share_cents"],
    )
    decision = {"outcome": "reimbursed", "payment_reference": "CNS-PID-9"}
    http.ok("POST", f"/insurer/claims/{claim['id']}/decision", actors.insurer, decision)

    [mine] = http.ok("GET", "/patient/claims", actors.patient)["items"]
    assert mine["status"] == "reimbursed"
    today = datetime.now(LUXEMBOURG).date().isoformat()
    report = http.ok("GET", f"/practice/reconciliation?from={today}&to={today}", actors.doctor)
    [row] = report["items"]
    assert (row["insurer_settled_cents"], row["settlement_reference"], row["outstanding_cents"]) == (
        invoice["insurer_share_cents"],
        "CNS-PID-9",
        0,
    )
    [event] = outbox(stack, "claim.decided", claim["id"])
    assert event["kind"] == "direct_payment"


# Races.


def test_concurrent_submissions_make_one_claim(actors: Actors, stack: Stack) -> None:
    http = actors.http
    invoice = actors.invoice(payment={"method": "card", "amount_cents": 5770})
    body = {"invoice_id": invoice["id"], "proof_of_payment": proof()}
    answers = race([lambda: http.call("POST", "/patient/claims", actors.patient, body)] * 8)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 7, [a.text for a in answers]
    [created] = [a.json() for a in answers if a.status_code == 201]
    assert [c["id"] for c in http.ok("GET", "/patient/claims", actors.patient)["items"]] == [created["id"]]
    assert len(outbox(stack, "claim.submitted", created["id"])) == 1


def test_concurrent_decisions_record_exactly_one(actors: Actors, stack: Stack) -> None:
    http = actors.http
    invoice = actors.invoice(payment={"method": "card", "amount_cents": 5770})
    claim = http.ok(
        "POST",
        "/patient/claims",
        actors.patient,
        {"invoice_id": invoice["id"], "proof_of_payment": proof()},
        201,
    )
    path = f"/insurer/claims/{claim['id']}/decision"
    reimburse = {"outcome": "reimbursed", "payment_reference": "W1"}
    reject = {"outcome": "rejected", "reason": "doublon"}
    decisions = [reimburse, reject] * 4
    answers = race([functools.partial(http.call, "POST", path, actors.insurer, d) for d in decisions])

    winner = next(a.json()["decision"] for a in answers if a.status_code == 200)
    for decision, answer in zip(decisions, answers, strict=True):
        expected = 200 if decision["outcome"] == winner["outcome"] else 409
        assert answer.status_code == expected, answer.text
        if expected == 200:
            assert answer.json()["decision"] == winner
    assert len(outbox(stack, "claim.decided", claim["id"])) == 1
    status = http.ok("GET", f"/invoices/{invoice['id']}", actors.doctor)["status"]
    assert status == winner["outcome"]
