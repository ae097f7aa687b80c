"""Webhook delivery under faults, inside one process on moto: receivers that never answer or
hang up, a sender whose Lambda runs out of time, poison events in the outbox and poison
deliveries in the queue. Whatever goes wrong with one item, the others still go out, and the
one that cannot is retried later or set aside with its error, where it can be replayed.
Attempts' bounds are shortened here; time otherwise moves by the injected clock."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from chalicelib.core import config, ids, outbound, sealing
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import NotFound
from chalicelib.domain.events import Event
from chalicelib.domain.webhooks import EVENT_KEPT
from chalicelib.services import webhook_delivery
from chalicelib.store import outbox, webhooks
from local import receiver as receivers
from tests.api.conftest import ADULT, DOCTOR_CODE, Api, Rounds
from tests.api.test_webhook_delivery import OTHER, deliveries, only_delivery, sqs_event, subscribe

BOUND = 0.3


@pytest.fixture
def short_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "ATTEMPT_SECONDS", BOUND)
    monkeypatch.setattr(outbound, "RESOLVE_SECONDS", BOUND)


class Invocation:
    """A Lambda context with time enough for `records` records at their worst, then less."""

    def __init__(self, records: int, seconds_each: float) -> None:
        self.left = records
        self.seconds_each = seconds_each

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return round(self.seconds_each * 1000) + (1 if self.left >= 0 else -1)


def register(api: Api, token: str, url: str) -> str:
    made = api.post("/v1/webhooks", token, {"url": url})
    assert made.status == 201, made.body
    return str(made.json["id"])


def event_for(clock: FixedClock, patient: str | None = ADULT, doctor: str | None = None) -> Event:
    now = clock.now()
    data = {"claim_id": ids.new_id("clm", now), "status": "reimbursed"}
    return Event(ids.new_id("evt", now), "claim.decided", now, data, patient=patient, doctor_code=doctor)


def queued() -> list[str]:
    """The bodies of the messages waiting in the webhook queue, taken off it."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=config.queue_name(webhook_delivery.QUEUE))["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    for message in got:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in got]


def test_slow_and_rude_receivers_hold_up_no_one_in_their_batch(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock, short_attempts: None
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    other = api.patient(OTHER)
    with receivers.misbehaving("tarpit") as tarpit, receivers.misbehaving("hang-up") as rude:
        stuck = register(api, patient, tarpit.url)
        hung_up = register(api, other, rude.url)
        subscribe(api, doctor, receiver)
        # Their events come first, so their attempts come first in the batch.
        outbox.save(event_for(fixed_clock, ADULT))
        outbox.save(event_for(fixed_clock, OTHER))
        outbox.save(event_for(fixed_clock, None, DOCTOR_CODE))

        rounds.tick()

    assert len(receiver.delivered()) == 1
    # One attempt each, ended by the sender's own bound ("timed out": the tarpit never
    # answers, so without the bound the round would never end), then on with the batch.
    assert (tarpit.connections, rude.connections) == (1, 1)
    for endpoint, token, error in ((stuck, patient, "timed out"), (hung_up, other, "connection failed")):
        (log,) = deliveries(api, token, endpoint)
        assert log["status"] == "pending"
        assert [a["error"] for a in log["attempts"]] == [error]
        assert log["next_attempt_at"] is not None


def test_a_sender_short_of_time_hands_the_rest_of_its_batch_back(api: Api, fixed_clock: FixedClock) -> None:
    import app

    doctor = api.doctor()
    with receivers.running() as receiver:
        endpoint = subscribe(api, doctor, receiver)
        for _ in range(3):
            outbox.save(event_for(fixed_clock, None, DOCTOR_CODE))
        assert webhook_delivery.dispatch(fixed_clock) == 3
        bodies = queued()

        answer = app.send_webhooks(sqs_event(bodies), Invocation(1, webhook_delivery.SEND_SECONDS))

        assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
        assert len(receiver.delivered()) == 1
        logged = webhooks.deliveries_of(endpoint, None, 10, None).items
        # The two handed back were not even claimed: SQS's next delivery of them is no repeat.
        assert sorted((d.state, d.attempts) for d in logged) == [
            ("delivered", 1),
            ("pending", 0),
            ("pending", 0),
        ]

        assert app.send_webhooks(sqs_event(bodies[1:]), None) == {"batchItemFailures": []}
        assert len(receiver.delivered()) == 3


def test_the_sender_gives_a_slow_receiver_its_bound_and_no_more_of_the_batch(
    api: Api, fixed_clock: FixedClock, short_attempts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real deadline this time: the invocation has time for one slow attempt only."""
    import app

    patient = api.patient()
    doctor = api.doctor()
    # The worst case of one message with the bounds shortened, the store's share included.
    monkeypatch.setattr(webhook_delivery, "SEND_SECONDS", 2 * BOUND + 0.2)
    with receivers.misbehaving("tarpit") as tarpit, receivers.running() as receiver:
        register(api, patient, tarpit.url)
        subscribe(api, doctor, receiver)
        outbox.save(event_for(fixed_clock, ADULT))
        outbox.save(event_for(fixed_clock, None, DOCTOR_CODE))
        webhook_delivery.dispatch(fixed_clock)
        bodies = queued()
        deadline = time.monotonic() + webhook_delivery.SEND_SECONDS + BOUND / 2

        class Deadline:
            def get_remaining_time_in_millis(self) -> int:
                return round((deadline - time.monotonic()) * 1000)

        answer = app.send_webhooks(sqs_event(bodies), Deadline())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert tarpit.connections == 1
    assert receiver.received == []


def put_raw(item: dict[str, Any]) -> None:
    """An outbox item written as it is, as a faulty writer or a migration could leave one."""
    boto3.client("dynamodb").put_item(TableName=config.table_name("outbox"), Item=item)


def malformed(clock: FixedClock) -> str:
    event_id = ids.new_id("evt", clock.now())
    put_raw(
        {
            "event_id": {"S": event_id},
            "occurred_at": {"S": "the day before yesterday"},
            "data": {"S": "{}"},
            "patient": {"S": ADULT},
            "pending": {"S": "pending"},
        }
    )
    return event_id


def test_an_unreadable_event_is_set_aside_at_once_and_the_others_go_out(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    patient = api.patient()
    subscribe(api, patient, receiver)
    poison = malformed(fixed_clock)
    outbox.save(event_for(fixed_clock, ADULT))

    rounds.tick()

    assert len(receiver.delivered()) == 1
    (dead,) = webhook_delivery.dead_events(10)
    assert dead.event_id == poison
    assert dead.error.startswith("unreadable event: ValueError")
    assert dead.dead_at == fixed_clock.now()
    assert outbox.pending_ids(10) == []
    # Set aside, it is kept as long as an event dispatched, then it expires too.
    item = boto3.client("dynamodb").get_item(
        TableName=config.table_name("outbox"), Key={"event_id": {"S": poison}}
    )
    assert item["Item"]["expires_at"] == {"N": str(int((fixed_clock.now() + EVENT_KEPT).timestamp()))}

    # Replayed as it is, it is set aside again; once mended, a replay sends it.
    assert webhook_delivery.replay_event(poison, fixed_clock) == "set aside"
    put_raw(
        {
            "event_id": {"S": poison},
            "type": {"S": "claim.decided"},
            "occurred_at": {"S": "2026-11-23T09:30:00.000000+0000"},
            "data": {"S": '{"claim_id": "clm_1"}'},
            "patient": {"S": ADULT},
            "dead": {"S": "dead"},
        }
    )
    assert webhook_delivery.replay_event(poison, fixed_clock) == "dispatched"
    rounds.tick()
    assert [r.body["data"] for r in receiver.delivered()][-1] == {"claim_id": "clm_1"}
    assert webhook_delivery.dead_events(10) == []
    with pytest.raises(NotFound):
        webhook_delivery.replay_event(poison, fixed_clock)


def test_an_event_that_keeps_failing_is_passed_over_then_set_aside(
    api: Api,
    rounds: Rounds,
    receiver: receivers.Receiver,
    fixed_clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = api.patient()
    api.patient(OTHER)
    subscribe(api, patient, receiver)
    endpoints_of = webhooks.endpoints_of

    def failing_for_other(owner: str, *args: Any) -> Any:
        if owner.endswith(OTHER):
            raise RuntimeError("this owner's endpoints cannot be read")
        return endpoints_of(owner, *args)

    monkeypatch.setattr(webhooks, "endpoints_of", failing_for_other)
    poison = event_for(fixed_clock, OTHER)
    outbox.save(poison)
    rounds.tick()  # the stream's try
    outbox.save(event_for(fixed_clock, ADULT))
    # The scheduled run, on both, as the stream missed them: the poison one first.
    assert webhook_delivery.dispatch(fixed_clock) == 1
    rounds.tick()
    assert len(receiver.delivered()) == 1
    assert outbox.pending_ids(10) == [poison.event_id]

    for _ in range(webhook_delivery.MAX_RELAY_FAILURES - 2):
        fixed_clock.advance(webhook_delivery.STREAM_LAG)
        rounds.tick()
    (dead,) = webhook_delivery.dead_events(10)
    assert (dead.event_id, dead.failures) == (poison.event_id, webhook_delivery.MAX_RELAY_FAILURES)
    assert dead.error == "RuntimeError: this owner's endpoints cannot be read"
    assert outbox.pending_ids(10) == []


def test_a_delivery_that_cannot_be_signed_fails_its_attempt_and_the_others_go_out(
    api: Api, rounds: Rounds, receiver: receivers.Receiver
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    broken = subscribe(api, patient, receiver)
    subscribe(api, doctor, receiver)
    endpoint = webhooks.get_endpoint(broken)
    assert endpoint is not None
    # Sealed to another endpoint: it does not open for this one.
    resealed = sealing.seal(receiver.secrets[0], "whk_another")
    webhooks.WebhookEndpoint(broken).update(actions=[webhooks.WebhookEndpoint.sealed_secret.set(resealed)])
    api.invoice(doctor, insurer="CNS")

    rounds.tick()

    assert [r.body["type"] for r in receiver.delivered()] == ["invoice.issued"]
    logged = deliveries(api, patient, broken)
    assert {d["status"] for d in logged} == {"pending"}
    assert {a["error"] for d in logged for a in d["attempts"]} == {"the request could not be signed"}


def test_a_delivery_whose_final_attempt_never_came_back_is_dead_lettered(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    outbox.save(event_for(fixed_clock, None, DOCTOR_CODE))
    webhook_delivery.dispatch(fixed_clock)
    queued()
    delivery = only_delivery(endpoint)
    # Each attempt claimed by a sender that died before recording it.
    now = fixed_clock.now()
    while delivery.attempts < delivery.final_attempt:
        claimed = webhooks.claim(delivery, now, now + webhook_delivery.LEASE)
        assert claimed is not None
        delivery = claimed
    asked = {"endpoint_id": endpoint, "delivery_id": delivery.delivery_id, "attempt": delivery.attempts + 1}

    assert webhook_delivery.send(json.dumps(asked), fixed_clock) == "dead"

    assert receiver.received == []
    dead = only_delivery(endpoint)
    assert (dead.state, dead.reason) == ("dead", "the final attempt ended without an outcome")
    assert dead.due_at is None


def test_a_delivery_whose_event_became_unreadable_is_dead_lettered(
    api: Api, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    event = event_for(fixed_clock, None, DOCTOR_CODE)
    outbox.save(event)
    webhook_delivery.dispatch(fixed_clock)
    (body,) = queued()
    outbox.OutboxEvent(event.event_id).update(actions=[outbox.OutboxEvent.data.set("not an object")])

    assert webhook_delivery.send(body, fixed_clock) == "dead"

    assert receiver.received == []
    assert only_delivery(endpoint).reason == "event unreadable"


def stream_record(event: Event, name: str = "INSERT", sequence: str = "1") -> dict[str, Any]:
    """One record as Lambda hands it to a handler of the outbox's stream (NEW_IMAGE)."""
    item = outbox.model_of(event)
    if name != "INSERT":
        item.pending = None
    return {
        "eventID": f"e{sequence}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-central-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1796000000.0,
            "Keys": {"event_id": {"S": event.event_id}},
            "NewImage": item.serialize(),
            "SequenceNumber": sequence,
            "SizeBytes": 300,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": config.stream_arn("outbox"),
    }


def test_the_stream_handler_relays_new_events_and_passes_over_other_changes(
    api: Api, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    import app

    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    fresh, dispatched = event_for(fixed_clock, None, DOCTOR_CODE), event_for(fixed_clock, None, DOCTOR_CODE)
    outbox.save(fresh)
    records = [stream_record(fresh, "INSERT", "1"), stream_record(dispatched, "MODIFY", "2")]

    answer = app.relay_events({"Records": records}, None)

    assert answer == {"batchItemFailures": []}
    (delivery,) = webhooks.deliveries_of(endpoint, None, 10, None).items
    assert delivery.event_id == fresh.event_id
    assert outbox.pending_ids(10) == []
    assert len(queued()) == 1


def test_the_stream_handler_short_of_time_hands_the_rest_back(api: Api, fixed_clock: FixedClock) -> None:
    import app

    events = [event_for(fixed_clock), event_for(fixed_clock), event_for(fixed_clock)]
    for event in events:
        outbox.save(event)
    records = [stream_record(e, "INSERT", str(n)) for n, e in enumerate(events, start=1)]

    answer = app.relay_events({"Records": records}, Invocation(1, webhook_delivery.RELAY_SECONDS))

    # The stream gives them again from the first one handed back.
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]}
    assert outbox.pending_ids(10) == [events[1].event_id, events[2].event_id]
