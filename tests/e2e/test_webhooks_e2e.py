"""The whole local stack over real HTTP: an invoice for an opted-in patient reaches the
patient's receiver as verified webhooks within seconds, through the worker loop reading the
outbox's stream from moto (the scheduled safety net leaves events that young alone)."""

from __future__ import annotations

import time
from typing import Any

import requests

from chalicelib.services import webhook_delivery
from local import receiver as receivers
from local import stack

PATIENT = "1893120105732"


def call(base: str, path: str, token: str | None, body: dict[str, Any] | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = requests.post(f"{base}/v1{path}", json=body or {}, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_an_invoice_reaches_the_patients_app_as_verified_webhooks() -> None:
    with receivers.running() as receiver, stack.running() as running:
        base, operator = running.base_url, running.operator_token
        code = call(base, "/doctors", operator, {"doctor_code": "123456-78", "name": "Dr Anne Weber"})
        device = call(base, "/devices", None, {"enrolment_code": code["enrolment_code"], "device_name": "PC"})
        registered = call(
            base,
            "/patients",
            operator,
            {
                "matricule": PATIENT,
                "name": "Marie Schmit",
                "insurer": "CNS",
                "digital_admin": "opted_in",
                "app_active": True,
            },
        )
        patient = call(base, f"/patients/{registered['patient_id']}/tokens", operator)["token"]
        endpoint = call(base, "/webhooks", patient, {"url": receiver.url})
        receiver.secrets.append(endpoint["secret"])

        invoice = call(
            base,
            "/invoices",
            device["token"],
            {
                "patient_matricule": PATIENT,
                "service_date": "2026-11-20",
                "lines": [{"code": "C1", "quantity": 1}],
            },
        )

        committed = time.monotonic()

        got = receiver.wait_for(2, seconds=15)
        assert {r.body["type"] for r in got} == {"invoice.issued", "document.received"}
        assert all(r.verified for r in receiver.received)
        issued = next(r for r in got if r.body["type"] == "invoice.issued")
        assert issued.body["data"]["invoice_id"] == invoice["id"]
        # Sooner than the safety net would take it: the stream path relayed it.
        assert issued.at - committed < webhook_delivery.STREAM_LAG.total_seconds()
