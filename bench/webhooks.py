"""Webhook delivery: how many deliveries per second the sender makes to a local receiver,
and how long after a state change the first attempt reaches the receiver in the local stack.

`python -m bench.webhooks` prints the figures; `run()` returns them for `make bench`.

- Throughput: the sender handler in-process on moto (as in the tests), fed batches of ten
  queued deliveries, each signed and POSTed to a receiver on 127.0.0.1 that verifies it. The
  figure includes the DynamoDB round trips of each attempt, on moto.
- Latency: the whole local stack (moto server, `chalice local`, the worker loop at 0.5 s);
  from the moment `POST /v1/invoices` has answered (the invoice and its event are committed)
  to the arrival of `invoice.issued` at the patient's receiver.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

THROUGHPUT_EVENTS = 200
LATENCY_SAMPLES = 20
PATIENT = "1893120105732"


def _fake_aws() -> None:
    """Before chalicelib is imported: moto in this process, keys for this run only."""
    from chalicelib import qr_keys, webhook_secrets

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_REGION": "eu-central-1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DHN_WEBHOOK_KEY", webhook_secrets.generate_key())
    os.environ.setdefault("DHN_QR_SIGNING_KEY", qr_keys.generate_seed())


def sender_throughput(events: int = THROUGHPUT_EVENTS) -> float:
    """Deliveries per second from the sender to a local receiver."""
    _fake_aws()
    import boto3
    from moto import mock_aws

    from chalicelib import clock, config, ids, notifications, webhook_delivery
    from chalicelib.identity import Principal
    from chalicelib.store import outbox, provision
    from local import receiver as receivers

    with mock_aws(), receivers.running() as receiver:
        provision.create_all()
        now = clock.current()
        doctor = Principal(role="doctor", scope="bench", doctor_code="12345678")
        made = notifications.register(doctor, receiver.url, None, now)
        receiver.secrets.append(made.secret)
        for _ in range(events):
            at = now.now()
            data = {"invoice_id": ids.new_id("inv", at), "total_cents": 5770}
            outbox.new_event(ids.new_id("evt", at), "invoice.issued", at, data, doctor_code="12345678").save()
        while webhook_delivery.dispatch(now):
            pass
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=config.queue_name(webhook_delivery.QUEUE))["QueueUrl"]
        started = time.perf_counter()
        while len(receiver.delivered()) < events:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            records = [
                {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in got
            ]
            webhook_delivery.handle_batch({"Records": records}, None, now)
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        elapsed = time.perf_counter() - started
    return events / elapsed


def _post(base: str, path: str, token: str | None, body: dict[str, Any]) -> Any:
    import requests

    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = requests.post(f"{base}/v1{path}", json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()


def stack_latency(samples: int = LATENCY_SAMPLES) -> list[float]:
    """Seconds from a committed invoice to its `invoice.issued` at the receiver."""
    from local import receiver as receivers
    from local import stack

    latencies = []
    with receivers.running() as receiver, stack.running() as running:
        base, operator = running.base_url, running.operator_token
        code = _post(base, "/doctors", operator, {"doctor_code": "123456-78", "name": "Dr Bench"})
        device = _post(
            base, "/devices", None, {"enrolment_code": code["enrolment_code"], "device_name": "PC"}
        )
        patient = {"name": "Marie Schmit", "insurer": "CNS", "digital_admin": "opted_in", "app_active": True}
        _post(base, "/patients", operator, {"matricule": PATIENT, **patient})
        token = _post(base, f"/patients/{PATIENT}/tokens", operator, {})["token"]
        endpoint = _post(base, "/webhooks", token, {"url": receiver.url, "events": ["invoice.issued"]})
        receiver.secrets.append(endpoint["secret"])
        invoice = {"patient_matricule": PATIENT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
        for n in range(1, samples + 1):
            _post(base, "/invoices", device["token"], invoice)
            committed = time.monotonic()
            got = receiver.wait_for(n, seconds=30)
            if len(got) < n:
                raise RuntimeError("a webhook did not arrive within 30 s")
            latencies.append(got[n - 1].at - committed)
    return latencies


def run() -> dict[str, float]:
    latencies = stack_latency()
    return {
        "webhook_deliveries_per_s": sender_throughput(),
        "webhook_latency_median_ms": statistics.median(latencies) * 1000,
        "webhook_latency_p95_ms": statistics.quantiles(latencies, n=20)[-1] * 1000,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.1f}")
