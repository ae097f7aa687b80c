"""Webhook delivery: how many deliveries per second the sender makes to a local receiver,
and how long after a state change the first attempt reaches the receiver through the outbox's
stream in the local stack.

- Throughput: the sender handler in-process on moto (as in the tests), fed batches of ten
  queued deliveries, each signed and POSTed to a receiver on 127.0.0.1 that verifies it; 100
  deliveries. The figure includes the DynamoDB round trips of each attempt, on moto.
- Latency: the whole local stack (moto server, `chalice local`, the worker loop);
  from the moment `POST /v1/invoices` has answered (the invoice and its event are committed)
  to the arrival of `invoice.issued` at the patient's receiver; median and p95 of 20 invoices.
  The path is the stream's: the worker reads the outbox's stream from moto and calls the
  relay handler, which queues the delivery, and the sender takes it in the same round; the
  scheduled safety net leaves events younger than a minute alone.

The target is AWS's: a first attempt within 2 s of the change. There, Lambda polls a stream
shard about four times a second and invokes the relay at once (no batching window), and SQS
hands the message to the sender as soon as it is queued, so the latency is a few round trips
plus two invocations. The local worker polls the stream, then the queue, four times a second
too, and each step is a round of HTTP calls to the moto server: the figure is about half a
poll, plus moto's, `chalice local`'s and the receiver's time on a shared machine. It is not a
measure of AWS, but a figure near a whole second or above means a poll missed the event (a
slow job ahead of it in the loop), not a slow relay.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench import fakeaws

THROUGHPUT_EVENTS = 100
LATENCY_SAMPLES = 20
TARGETS = {"webhook_latency_median_ms": 2000.0, "webhook_latency_p95_ms": 2000.0}
NOTES = {
    "webhook_latency_median_ms": "local: the worker polls the stream, then the queue, every 0.25 s",
}


def sender_throughput(events: int = THROUGHPUT_EVENTS) -> float:
    """Deliveries per second from the sender to a local receiver."""
    from local import receiver as receivers

    with fakeaws.aws(), receivers.running() as receiver:
        import boto3

        from chalicelib.core import clock, config, ids
        from chalicelib.domain.events import Event
        from chalicelib.services import webhook_delivery, webhook_endpoints
        from chalicelib.services.identity import Principal
        from chalicelib.store import outbox

        now = clock.current()
        doctor = Principal(role="doctor", scope="bench", doctor_code=fakeaws.DOCTOR)
        made = webhook_endpoints.register(doctor, receiver.url, None, now)
        receiver.secrets.append(made.secret)
        for _ in range(events):
            at = now.now()
            data = {"invoice_id": ids.new_id("inv", at), "total_cents": 5770}
            outbox.save(Event(ids.new_id("evt", at), "invoice.issued", at, data, doctor_code=fakeaws.DOCTOR))
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


class Http(fakeaws.Caller):
    """The API of the local stack, over HTTP."""

    def __init__(self, base_url: str, operator: str) -> None:
        self.base_url = base_url
        self.operator = operator

    def post(self, path: str, token: str | None = None, body: Any = None, key: str | None = None) -> Any:
        import requests

        answer = requests.post(
            f"{self.base_url}/v1{path}", json=body or {}, headers=self.headers(token, key), timeout=30
        )
        answer.raise_for_status()
        return answer.json()


def stack_latency(samples: int = LATENCY_SAMPLES) -> list[float]:
    """Seconds from a committed invoice to its `invoice.issued` at the receiver."""
    from local import receiver as receivers
    from local import stack

    latencies = []
    with receivers.running() as receiver, stack.running() as running:
        api = Http(running.base_url, running.operator_token)
        doctor = api.doctor()
        patient = api.patient()
        endpoint = api.post("/webhooks", patient, {"url": receiver.url, "events": ["invoice.issued"]})
        receiver.secrets.append(endpoint["secret"])
        for n in range(1, samples + 1):
            api.invoice(doctor)
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
    from bench import table

    table.main(["bench.webhooks"])
