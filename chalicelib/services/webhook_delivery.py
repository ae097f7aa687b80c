"""Webhook delivery: outbox → delivery records → SQS → signed POST, with retries.

Its jobs, each safe to run twice or to die midway:
- `relay` (the outbox stream's handler) relays each new event within seconds of the change
  that wrote it; `dispatch` (scheduled) relays whatever is still pending a while later, which
  the stream path missed. Relaying an event turns it into one delivery per endpoint
  concerned (conditional put, so a re-run adds none), queues them, and only then takes the
  event out of the pending index: a crash before that leaves the event pending for the next
  run. A `document.received` is relayed once the document's copy is in the vault.
- `send` (the SQS handler) makes one attempt per message. A message names the attempt it is
  for; the sender claims that attempt with a conditional update, so a redelivered or
  duplicated message finds it taken and does nothing.
- `requeue` reads the sparse `due` index for deliveries whose attempt should have started
  by now: retries too far off for an SQS delay, and anything whose message or sender was
  lost. No delivery leaves that index before it is delivered, dead or cancelled.

A poison item stops nothing else. An event that fails to relay is counted and passed over;
one that cannot be read, or has failed MAX_RELAY_FAILURES times, is set aside with its error
(`dead_events`, `replay_event`). A delivery whose request cannot even be made fails its
attempt like an unreachable endpoint, and ends in the dead letters its owner can replay.
The handlers take a record only while the invocation has time left for its worst case, and
hand the rest back as failed batch items: one slow endpoint delays a few messages, not a batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from chalicelib.core import config, ids, outbound, sealing
from chalicelib.core.clock import Clock, SystemClock
from chalicelib.core.errors import NotFound
from chalicelib.core.observability import DEAD_LETTERS, WEBHOOK_FAILURES, logger, metric
from chalicelib.domain import webhooks as rules
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.events import DeadEvent, Event, UnreadableEvent
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
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

QUEUE = "webhooks"
# How long a claimed attempt may take before another sender takes over: longer than any one
# invocation of the sender, which stops taking messages in time (infra/ checks its Lambda
# timeout against this).
LEASE = timedelta(minutes=2)
# How late a queued message may be before the re-enqueue job sends another.
GRACE = timedelta(minutes=2)
PAGE = 100
# A scheduled run stops taking new work after this long, well within its Lambda timeout.
RUN_SECONDS = 20.0
# The scheduled relay leaves younger events to the stream, which relays them in seconds.
STREAM_LAG = timedelta(minutes=1)
# Failed tries after which an event is set aside.
MAX_RELAY_FAILURES = 5
# The store calls around one attempt at worst: read, claim, record, a retry message.
STORE_SECONDS = 2.0
# The most one message can cost the sender; it takes none with less time left.
SEND_SECONDS = outbound.WORST_CASE_SECONDS + STORE_SECONDS
# The most relaying one event can cost: its endpoints, their deliveries, one call to SQS.
RELAY_SECONDS = 5.0
# An error kept with an event: enough to tell one cause from another.
ERROR_LENGTH = 500
_random = secrets.SystemRandom()
T = TypeVar("T")
Relayed = Literal["dispatched", "not pending", "failed", "set aside"]


class OutOfTime(Exception):
    """Too little of the invocation is left for one more record at its worst."""


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


def relay(event: dict[str, Any], context: Any, clock: Clock) -> dict[str, Any]:
    """The outbox stream's handler: each event written since the last batch is relayed at
    once; the other changes of the table (dispatches, expiries) are passed over."""
    from chalicelib.store import outbox

    def one(record: DynamoDBRecord) -> Relayed:
        return _relay(functools.partial(outbox.new_event, record.raw_event), clock.now())

    return _each_record(event, context, "DynamoDBStreams", one, RELAY_SECONDS)


def dispatch(clock: Clock, min_age: timedelta = timedelta(0)) -> int:
    """Relay the events pending for `min_age` or longer, oldest first, each once per run; how
    many were dispatched. The schedule passes STREAM_LAG: younger ones are the stream's."""
    from chalicelib.store import outbox

    started = time.monotonic()
    # Ids sort by the millisecond they were made in: one made in the millisecond after the
    # cutoff sorts after every event written by then.
    cutoff = ids.new_id("evt", clock.now() - min_age + timedelta(milliseconds=1))
    dispatched = 0
    after = None
    while time.monotonic() - started < RUN_SECONDS:
        page = [event_id for event_id in outbox.pending_ids(PAGE, after) if event_id < cutoff]
        for event_id in page:
            if _relay(functools.partial(outbox.pending_event, event_id), clock.now()) == "dispatched":
                dispatched += 1
        if len(page) < PAGE:
            break
        after = page[-1]
    return dispatched


def _relay(read: Callable[[], Event | None], now: datetime) -> Relayed:
    """Dispatch the event `read` gives, if it is pending. A failure is counted on the event
    and the caller goes on with the next; an event that cannot be read, or fails for the
    MAX_RELAY_FAILURES-th time, is set aside. Only a failure to read or count propagates, and
    then the event is still pending for a later run."""
    from chalicelib.store import outbox

    try:
        event = read()
    except UnreadableEvent as exc:
        _set_aside(exc.event_id, exc.reason, now)
        return "set aside"
    if event is None:
        return "not pending"
    try:
        _dispatch_one(event, now)
    except Exception as exc:  # one event's failure must not stop the others
        error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        failures = outbox.count_failure(event.event_id, error)
        logger().warning(
            "outbox event not relayed",
            extra={"event_id": event.event_id, "error_type": type(exc).__name__, "failures": failures},
        )
        if failures >= MAX_RELAY_FAILURES:
            _set_aside(event.event_id, error, now)
            return "set aside"
        return "failed"
    return "dispatched"


def _set_aside(event_id: str, error: str, now: datetime) -> None:
    from chalicelib.store import outbox

    if outbox.set_aside(event_id, error, now):
        # The error stays with the event: it may quote the payload, which the log must not.
        logger().error("outbox event set aside", extra={"event_id": event_id})
        metric(DEAD_LETTERS)


def dead_events(limit: int) -> list[DeadEvent]:
    """Events the relay set aside, oldest first, each with the error that made it give up."""
    from chalicelib.store import outbox

    return outbox.dead_events(limit)


def replay_event(event_id: str, clock: Clock) -> Relayed:
    """Relay an event that was set aside once more, now (an operator's call, once its cause
    is fixed); it starts again with no failures counted."""
    from chalicelib.store import outbox

    if not outbox.revive(event_id):
        raise NotFound("no such event set aside")
    return _relay(functools.partial(outbox.pending_event, event_id), clock.now())


def _dispatch_one(event: Event, now: datetime) -> None:
    from chalicelib.store import outbox, queues
    from chalicelib.store import webhooks as store

    if event.type == "document.received":
        _in_place(event)
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
    outbox.mark_dispatched(event.event_id, now)


def _in_place(event: Event) -> None:
    """The patient's app opens a new document when told of it, so its copy must be in the
    vault first. A crash after the commit that wrote the event, before the copy, leaves it
    waiting where it was staged or uploaded: the retry of the request would put it in place,
    but a client may never retry, so the relay does. A document found nowhere fails the
    event, which is retried and then set aside with the error, for an operator."""
    from chalicelib.store import vault

    document_id = str(event.data["document_id"])
    if not vault.put_in_place(document_id):
        raise LookupError(f"document {document_id} is not in the vault")


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
    event = _payload(delivery)
    if isinstance(event, str):
        return _dead(delivery, now, event)
    claimed = store.claim(delivery, now, now + LEASE)
    if claimed is None:
        return "stale"
    answer = _attempt(event, endpoint, claimed)
    return _record(claimed, endpoint, answer, started=now, now=clock.now())


def _payload(delivery: Delivery) -> Event | str:
    """The event the delivery's next attempt sends, or why there is none to send."""
    from chalicelib.store import outbox

    if delivery.attempts >= delivery.final_attempt:
        # The final attempt was claimed and its sender never recorded it (it died midway,
        # every time if something in this delivery kills it): nothing more is owed.
        return "the final attempt ended without an outcome"
    try:
        event = outbox.get(delivery.event_id)
    except UnreadableEvent:
        return "event unreadable"
    # Cannot be missing while outbox events are kept; if it is, it must show.
    return event or "event no longer stored"


def _dead(delivery: Delivery, now: datetime, reason: str) -> str:
    """End a delivery in the dead letters without an attempt; its owner may replay it."""
    from chalicelib.store import webhooks as store

    store.finish(delivery, DEAD, now, reason)
    logger().error("webhook dead-lettered", extra={"delivery_id": delivery.delivery_id, "reason": reason})
    metric(DEAD_LETTERS)
    return DEAD


def _attempt(event: Event, endpoint: Endpoint, delivery: Delivery) -> outbound.Answer:
    """Sign the request and POST it. One that cannot be signed (the secret does not open, the
    payload does not encode) fails like an unreachable endpoint: retried on the schedule,
    in case its cause is fixed meanwhile, then dead-lettered."""
    try:
        headers, body = _signed(event, endpoint)
    except Exception as exc:  # recorded as this attempt's error; the type goes to the log
        logger().error(
            "webhook not signed",
            extra={"delivery_id": delivery.delivery_id, "error_type": type(exc).__name__},
        )
        return outbound.Answer(None, None, "the request could not be signed", 0)
    return outbound.post(endpoint.url, headers, body, config.local_network_allowed())


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
    not be (a store or queue error, or no time left) are reported back to SQS for another try."""

    def one(record: SQSRecord) -> str:
        return send(record.body, clock)

    return _each_record(event, context, "SQS", one, SEND_SECONDS)


def _each_record(
    event: dict[str, Any],
    context: Any,
    kind: Literal["SQS", "DynamoDBStreams"],
    handle: Callable[[Any], object],
    seconds_each: float,
) -> dict[str, Any]:
    """Run `handle` on each record of a batch with Powertools' batch processor. A record that
    fails, or that comes when less than `seconds_each` is left of the Lambda invocation, is
    reported back to its source for another try, and only it. Without a context (a direct
    call) there is no deadline."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    deferred = 0

    def one(record: Any) -> object:
        nonlocal deferred
        if context is not None and context.get_remaining_time_in_millis() < seconds_each * 1000:
            deferred += 1
            raise OutOfTime(f"less than {seconds_each:g} s left")
        return handle(record)

    processor = BatchProcessor(event_type=EventType(kind))
    answer = dict(
        process_partial_response(event=event, record_handler=one, processor=processor, context=context)
    )
    if deferred:
        logger().warning("batch cut short", extra={"source": kind, "deferred": deferred})
    return answer
