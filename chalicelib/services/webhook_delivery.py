"""Webhook delivery: outbox → delivery records → SQS → signed POST, with retries.

Three jobs, each safe to run twice or to die midway:
- `dispatch` turns each pending outbox event into one delivery per endpoint concerned
  (conditional put, so a re-run adds none), queues them, and only then takes the event out
  of the pending index: a crash before that leaves the event pending for the next run.
- `send` (the SQS handler) makes one attempt per message. A message names the attempt it is
  for; the sender claims that attempt with a conditional update, so a redelivered or
  duplicated message finds it taken and does nothing.
- `requeue` reads the sparse `due` index for deliveries whose attempt should have started
  by now: retries too far off for an SQS delay, and anything whose message or sender was
  lost. No delivery leaves that index before it is delivered, dead or cancelled.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.core import config, outbound, sealing
from chalicelib.core.clock import Clock, SystemClock
from chalicelib.core.observability import DEAD_LETTERS, WEBHOOK_FAILURES, logger, metric
from chalicelib.domain import webhooks as rules
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.events import Event
from chalicelib.domain.queue_messages import MAX_DELAY_SECONDS, Message
from chalicelib.domain.webhooks import (
    ACTIVE,
    CANCELLED,
    DEAD,
    DELIVERED,
    PENDING,
    Attempt,
    Delivery,
    Endpoint,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

QUEUE = "webhooks"
# How long a claimed attempt may take before another sender takes over; longer than the
# sender's whole batch of ten attempts at ten seconds each.
LEASE = timedelta(minutes=15)
# How late a queued message may be before the re-enqueue job sends another.
GRACE = timedelta(minutes=2)
PAGE = 100
# A scheduled run stops taking new work after this long, well within its Lambda timeout.
RUN_SECONDS = 20.0
_random = secrets.SystemRandom()
T = TypeVar("T")


def message(delivery: Delivery, delay_seconds: int = 0) -> Message:
    """The SQS message that asks for the delivery's next attempt."""
    body = {
        "endpoint_id": delivery.endpoint_id,
        "delivery_id": delivery.delivery_id,
        "attempt": delivery.attempts + 1,
    }
    return Message(json.dumps(body, separators=(",", ":")), delay_seconds)


def delivery_id(event: Event, endpoint_id: str) -> str:
    """The same event and endpoint always give the same id, so a re-run finds its delivery;
    the time part keeps ids sorting by event time."""
    from ulid import ULID

    millis = int(event.occurred_at.timestamp() * 1000).to_bytes(6, "big")
    digest = hashlib.sha256(f"{event.event_id}|{endpoint_id}".encode()).digest()[:10]
    return f"dlv_{ULID.from_bytes(millis + digest)}"


def _endpoints_for(event: Event, now: datetime) -> list[Endpoint]:
    from chalicelib.services import relatives
    from chalicelib.store import webhooks as store

    patient = event.patient
    # A relative is told only while they may still act for the patient, not merely because
    # they could when the event was written.
    if patient and event.on_behalf_of and not relatives.still_acts_for(patient, event.on_behalf_of, now):
        patient = None
    found = []
    for owner in rules.event_owners(patient, event.doctor_code):
        page = store.endpoints_of(owner, rules.MAX_ENDPOINTS_PER_OWNER)
        found += [e for e in page.items if e.status == ACTIVE and rules.wants(e.events, event.type)]
    return found


def _drain(fetch: Callable[[], Sequence[T]], key: Callable[[T], str], handle: Callable[[T], None]) -> int:
    """Handle pages from an index until it has nothing new or the run's time is up. An index
    lags behind its table, so a page may repeat items handled a moment ago: skipped."""
    started = time.monotonic()
    seen: set[str] = set()
    while time.monotonic() - started < RUN_SECONDS:
        fresh = [item for item in fetch() if key(item) not in seen]
        if not fresh:
            break
        for item in fresh:
            handle(item)
            seen.add(key(item))
    return len(seen)


def dispatch(clock: Clock) -> int:
    """Hand pending outbox events to the delivery queue; the number of events handled."""
    from chalicelib.store import outbox

    return _drain(
        lambda: outbox.pending_events(PAGE),
        lambda event: event.event_id,
        lambda event: _dispatch_one(event, clock.now()),
    )


def _dispatch_one(event: Event, now: datetime) -> None:
    from chalicelib.store import outbox, queues
    from chalicelib.store import webhooks as store

    ready = []
    for endpoint in _endpoints_for(event, now):
        delivery = Delivery(
            endpoint.endpoint_id,
            delivery_id(event, endpoint.endpoint_id),
            event_id=event.event_id,
            event_type=event.type,
            created_at=now,
            state=PENDING,
            attempts=0,
            final_attempt=rules.MAX_ATTEMPTS,
            next_attempt_at=now,
            due_at=now + GRACE,
        )
        stored = delivery if store.add_delivery(delivery) else None
        if stored is None:
            # A run that died before queueing: queue what is still owed.
            stored = store.get_delivery(endpoint.endpoint_id, delivery.delivery_id)
        if stored is not None and stored.state == PENDING:
            ready.append(message(stored))
    queues.send(QUEUE, ready)
    outbox.mark_dispatched(event)


def requeue(clock: Clock) -> int:
    """Queue the deliveries whose attempt is due and not on its way; how many were."""
    from chalicelib.store import queues
    from chalicelib.store import webhooks as store

    now = clock.now()

    def due() -> list[Delivery]:
        return [d for d in store.due_deliveries(now, PAGE) if d.state == PENDING]

    def again(delivery: Delivery) -> None:
        queues.send(QUEUE, [message(delivery)])
        store.postpone(delivery, now + GRACE)

    return _drain(due, lambda d: d.delivery_id, again)


def send(body: str, clock: Clock) -> str:
    """Make the attempt a queue message asks for; what became of it, for the log."""
    from chalicelib.store import outbox
    from chalicelib.store import webhooks as store

    asked = json.loads(body)
    delivery = store.get_delivery(str(asked["endpoint_id"]), str(asked["delivery_id"]))
    if delivery is None or delivery.state != PENDING or delivery.attempts != int(asked["attempt"]) - 1:
        return "stale"
    now = clock.now()
    endpoint = store.get_endpoint(delivery.endpoint_id)
    if endpoint is None or endpoint.status != ACTIVE:
        store.finish(delivery, CANCELLED, now, "endpoint deleted or disabled")
        return CANCELLED
    event = outbox.get(delivery.event_id)
    if event is None:
        # Cannot happen while outbox events are kept; if it does, it must show.
        store.finish(delivery, DEAD, now, "event no longer stored")
        logger().error("webhook event missing", extra={"delivery_id": delivery.delivery_id})
        return DEAD
    claimed = store.claim(delivery, now, now + LEASE)
    if claimed is None:
        return "stale"
    answer = outbound.post(endpoint.url, *_signed(event, endpoint), config.local_network_allowed())
    return _record(claimed, endpoint, answer, started=now, now=clock.now())


def _signed(event: Event, endpoint: Endpoint) -> tuple[dict[str, str], bytes]:
    """Headers and body of the Standard Webhooks request. `webhook-id` is the event id, the
    same on every attempt and for every endpoint, so receivers can drop repeats."""
    from standardwebhooks import Webhook

    body = json.dumps(
        {"type": event.type, "timestamp": rfc3339(event.occurred_at), "data": event.data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # The receiver checks this against its own clock (replay window): it is the moment of
    # sending, so it comes from the system clock even where tests move the service's clock.
    sent_at = SystemClock().now().replace(microsecond=0)
    secret = sealing.unseal(endpoint.sealed_secret, endpoint.endpoint_id)
    headers = {
        "content-type": "application/json",
        "user-agent": "DHN-Webhooks/1",
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event.event_id, sent_at, body),
    }
    return headers, body.encode()


def _record(
    delivery: Delivery, endpoint: Endpoint, answer: outbound.Answer, started: datetime, now: datetime
) -> str:
    """The outcome of the attempt claimed at `started` on `delivery`, as the claim left it."""
    from chalicelib.store import webhooks as store

    attempt = Attempt(
        at=started,
        status_code=answer.status,
        error=answer.error,
        duration_ms=answer.duration_ms,
    )
    verdict = rules.judge(
        answer.status,
        delivery.attempts,
        delivery.final_attempt,
        rules.parse_retry_after(answer.retry_after, now),
        now,
        _random.random(),
    )
    log = {"delivery_id": delivery.delivery_id, "attempt": delivery.attempts, "status": answer.status}
    if verdict.fate == "delivered":
        store.record_attempt(delivery, attempt, DELIVERED, None, None)
        return verdict.fate
    metric(WEBHOOK_FAILURES)
    if verdict.fate == "disable":
        store.disable_endpoint(endpoint.endpoint_id, "the endpoint answered 410 Gone", now)
        store.record_attempt(delivery, attempt, CANCELLED, None, None, "endpoint answered 410 Gone")
        logger().warning("webhook endpoint disabled", extra=log)
    elif verdict.fate == "dead":
        store.record_attempt(delivery, attempt, DEAD, None, None, "retries exhausted")
        logger().warning("webhook dead-lettered", extra=log)
        metric(DEAD_LETTERS)
    else:
        _schedule_retry(delivery, attempt, verdict.next_attempt_at, now)
    return verdict.fate


def _schedule_retry(delivery: Delivery, attempt: Attempt, at: datetime | None, now: datetime) -> None:
    """A retry within SQS's delay limit goes out now as a delayed message; a later one is
    left to the re-enqueue job. Either way the delivery stays in the `due` index."""
    from chalicelib.store import queues
    from chalicelib.store import webhooks as store

    assert at is not None
    wait = (at - now).total_seconds()
    queued = wait <= MAX_DELAY_SECONDS
    due_at = at + GRACE if queued else at
    recorded = store.record_attempt(delivery, attempt, PENDING, at, due_at)
    if recorded is not None and queued:
        queues.send(QUEUE, [message(recorded, int(wait) + 1)])


def handle_batch(event: dict[str, Any], context: Any, clock: Clock) -> dict[str, Any]:
    """The SQS handler: each message is processed on its own, and only the ones that could
    not be (a store or queue error) are reported back to SQS for another try."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def one(record: SQSRecord) -> str:
        return send(record.body, clock)

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(event=event, record_handler=one, processor=processor, context=context)
    )
