"""Webhook delivery end to end inside one process: the API, the outbox, the dispatcher, the
SQS queue (moto), the sender and a real HTTP receiver on 127.0.0.1 that checks signatures
with the Standard Webhooks verifier. The worker's own jobs run the handlers, one round per
`tick()`; time moves by the injected clock, never by waiting."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core import config, ids, outbound
from chalicelib.core.clock import FixedClock
from chalicelib.domain.events import Event
from chalicelib.domain.queue_messages import Message
from chalicelib.domain.webhooks import EVENT_KEPT, KEPT_SETTLED, RETRY_SCHEDULE, Delivery
from chalicelib.services import webhook_delivery
from chalicelib.store import outbox, queues, webhooks
from local import receiver as receivers
from tests.api.conftest import ADULT, DOCTOR_CODE, Api, Rounds
from tests.api.test_appointments import HOURS

OTHER = "1990010112385"
SPOUSE = "1985030400267"
# 46 h 30 after the fixed clock: a reminder is owed, and due 23 h later.
IN_TWO_DAYS = "2026-11-25T09:00:00+01:00"
DAY = timedelta(hours=27)  # longer than any wait of the schedule, its jitter and the grace


def subscribe(api: Api, token: str, receiver: receivers.Receiver, **body: Any) -> str:
    made = api.post("/v1/webhooks", token, {"url": receiver.url, **body})
    assert made.status == 201, made.body
    receiver.secrets.append(made.json["secret"])
    return str(made.json["id"])


def deliveries(api: Api, token: str, endpoint_id: str, query: str = "") -> list[dict[str, Any]]:
    got = api.get(f"/v1/webhooks/{endpoint_id}/deliveries{query}", token)
    assert got.status == 200, got.body
    return list(got.json["items"])


def issue(api: Api, doctor: str) -> dict[str, Any]:
    """An invoice for the adult patient, registered or not."""
    got = api.invoice(doctor, insurer="CNS")
    assert got.status == 201, got.body
    return dict(got.json)


def only_delivery(endpoint_id: str) -> Delivery:
    (found,) = webhooks.deliveries_of(endpoint_id, None, 10, None).items
    return found


def test_invoice_for_an_opted_in_patient_reaches_patient_and_practice(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    fixed_now = fixed_clock.now()
    doctor = api.doctor()
    patient = api.patient()
    mine = subscribe(api, patient, receiver)
    practice = subscribe(api, doctor, receiver)
    invoice = issue(api, doctor)

    rounds.tick()

    got = receiver.delivered()
    assert len(got) == len(receiver.received) == 3
    by_type = sorted((r.body["type"], r.headers["webhook-id"]) for r in got)
    assert [t for t, _ in by_type] == ["document.received", "invoice.issued", "invoice.issued"]
    issued = next(r for r in got if r.body["type"] == "invoice.issued")
    assert issued.body["data"]["invoice_id"] == invoice["id"]
    assert issued.body["timestamp"].endswith("Z")
    assert set(issued.body) == {"type", "timestamp", "data"}
    assert issued.headers["webhook-signature"].startswith("v1,")
    assert issued.headers["webhook-id"].startswith("evt_")
    # Both endpoints get the same event under the same id.
    assert len({i for t, i in by_type if t == "invoice.issued"}) == 1

    log = deliveries(api, patient, mine)
    assert {d["event_type"] for d in log} == {"invoice.issued", "document.received"}
    assert all(d["status"] == "delivered" and d["last_status_code"] == 204 for d in log)
    assert all(d["next_attempt_at"] is None and len(d["attempts"]) == 1 for d in log)
    assert [d["event_type"] for d in deliveries(api, doctor, practice)] == ["invoice.issued"]
    # Nothing owed any more: the outbox and the due index are empty.
    assert outbox.pending_ids(10) == []
    assert list(webhooks.WebhookDelivery.due_index.query(webhooks.DUE)) == []
    # Settled, they expire: each delivery 35 days on, each event only after its deliveries.
    settled = webhooks.deliveries_of(mine, None, 10, None).items
    assert {d.expires_at for d in settled} == {fixed_now + KEPT_SETTLED}
    assert {e.expires_at for e in outbox.OutboxEvent.scan()} == {fixed_now + EVENT_KEPT}


def test_opted_out_patient_is_not_told_but_the_practice_is(
    api: Api, rounds: Rounds, receiver: receivers.Receiver
) -> None:
    doctor = api.doctor()
    patient = api.patient(opted_in=False)
    subscribe(api, patient, receiver)
    practice = subscribe(api, doctor, receiver)
    issue(api, doctor)
    rounds.tick()
    assert [r.body["type"] for r in receiver.delivered()] == ["invoice.issued"]
    assert len(deliveries(api, doctor, practice)) == 1


def test_an_endpoint_gets_only_the_event_types_it_asked_for(
    api: Api, rounds: Rounds, receiver: receivers.Receiver
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    subscribe(api, patient, receiver, events=["document.received"])
    issue(api, doctor)
    rounds.tick()
    assert [r.body["type"] for r in receiver.delivered()] == ["document.received"]


@pytest.mark.parametrize(
    "event_type",
    [
        "claim.submitted",
        "claim.decided",
        "appointment.booked",
        "appointment.cancelled",
        "appointment.reminder",
    ],
)
def test_routing_follows_the_outbox_fields_for_every_event_type(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock, event_type: str
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    stranger = api.patient(OTHER)
    subscribe(api, patient, receiver)
    subscribe(api, doctor, receiver)
    subscribe(api, stranger, receiver)
    now = fixed_clock.now()
    data = {"claim_id": ids.new_id("clm", now), "status": "reimbursed"}
    outbox.save(Event(ids.new_id("evt", now), event_type, now, data, patient=ADULT))
    outbox.save(Event(ids.new_id("evt", now), event_type, now, data, patient=ADULT, doctor_code=DOCTOR_CODE))
    rounds.tick()
    # Patient twice, practice once, the other patient never.
    assert len(receiver.delivered()) == 3
    assert {r.body["type"] for r in receiver.delivered()} == {event_type}
    assert all(r.body["data"] == data for r in receiver.delivered())


def test_a_failing_receiver_that_recovers_gets_the_event_once_under_one_id(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.extend([(500, {}), (503, {})])
    issue(api, doctor)

    rounds.tick()
    first = deliveries(api, doctor, endpoint)[0]
    assert first["status"] == "pending"
    assert first["last_status_code"] == 500
    wait = fixed_clock.now() + timedelta(seconds=RETRY_SCHEDULE[1])
    assert first["next_attempt_at"] >= wait.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    fixed_clock.advance(timedelta(minutes=3))
    rounds.tick()  # second attempt, 503
    fixed_clock.advance(timedelta(minutes=8))
    rounds.tick()  # third attempt, accepted

    assert [r.status for r in receiver.received] == [500, 503, 204]
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len(receiver.delivered()) == 1
    done = deliveries(api, doctor, endpoint)[0]
    assert done["status"] == "delivered"
    assert [a["status_code"] for a in done["attempts"]] == [500, 503, 204]

    # SQS delivers a message twice, or the delayed retry message turns up late: no second POST.
    delivery = only_delivery(endpoint)
    for attempt in (1, 2, 3):
        replayed = {"endpoint_id": endpoint, "delivery_id": delivery.delivery_id, "attempt": attempt}
        assert webhook_delivery.send(json.dumps(replayed), fixed_clock) == "stale"
    fixed_clock.advance(DAY)
    rounds.tick()
    assert len(receiver.received) == 3


def test_retry_after_is_honoured(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.append((429, {"Retry-After": "3600"}))
    issue(api, doctor)
    rounds.tick()
    delivery = only_delivery(endpoint)
    assert delivery.next_attempt_at == fixed_clock.now() + timedelta(seconds=3600)
    fixed_clock.advance(timedelta(minutes=30))
    rounds.tick()
    assert len(receiver.received) == 1
    fixed_clock.advance(timedelta(minutes=31))
    rounds.tick()
    assert len(receiver.delivered()) == 1


def test_410_gone_disables_the_endpoint(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.append((410, {}))
    issue(api, doctor)
    rounds.tick()

    (listed,) = api.get("/v1/webhooks", doctor).json["items"]
    assert listed["status"] == "disabled"
    assert "410" in listed["disabled_reason"]
    (log,) = deliveries(api, doctor, endpoint)
    assert log["status"] == "cancelled"
    assert log["last_status_code"] == 410

    issue(api, doctor)
    fixed_clock.advance(DAY)
    rounds.tick(2)
    assert len(receiver.received) == 1
    assert len(deliveries(api, doctor, endpoint)) == 1
    retry = api.post(f"/v1/webhooks/{endpoint}/deliveries/{log['id']}/retry", doctor)
    assert retry.status == 409


def test_exhausted_retries_go_to_the_dead_letters_and_can_be_replayed(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.extend([(500, {})] * len(RETRY_SCHEDULE))
    issue(api, doctor)

    rounds.tick()
    for _ in RETRY_SCHEDULE[1:]:
        fixed_clock.advance(DAY)
        rounds.tick()
    assert len(receiver.received) == len(RETRY_SCHEDULE)

    (dead,) = deliveries(api, doctor, endpoint, "?status=dead")
    assert dead["reason"] == "retries exhausted"
    assert dead["attempt_count"] == len(RETRY_SCHEDULE)
    assert dead["next_attempt_at"] is None
    assert deliveries(api, doctor, endpoint, "?status=pending") == []
    fixed_clock.advance(DAY)
    rounds.tick()
    assert len(receiver.received) == len(RETRY_SCHEDULE)  # dead means no more tries

    assert only_delivery(endpoint).expires_at is not None
    retry = api.post(f"/v1/webhooks/{endpoint}/deliveries/{dead['id']}/retry", doctor)
    assert retry.status == 202
    assert retry.json["status"] == "pending"
    # Pending again, it does not expire; its event is kept as long as at its dispatch.
    assert only_delivery(endpoint).expires_at is None
    (event,) = outbox.OutboxEvent.scan()
    assert event.expires_at == fixed_clock.now() + EVENT_KEPT
    rounds.tick()
    assert len(receiver.delivered()) == 1
    assert len({r.webhook_id for r in receiver.received}) == 1
    (done,) = deliveries(api, doctor, endpoint)
    assert done["status"] == "delivered"
    assert only_delivery(endpoint).expires_at == fixed_clock.now() + KEPT_SETTLED
    assert api.post(f"/v1/webhooks/{endpoint}/deliveries/dlv_nope/retry", doctor).status == 404


def test_a_failed_replay_goes_back_to_the_dead_letters(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.extend([(500, {})] * (len(RETRY_SCHEDULE) + 1))
    issue(api, doctor)
    rounds.tick()
    for _ in RETRY_SCHEDULE[1:]:
        fixed_clock.advance(DAY)
        rounds.tick()
    delivery = only_delivery(endpoint)
    assert api.post(f"/v1/webhooks/{endpoint}/deliveries/{delivery.delivery_id}/retry", doctor).status == 202
    rounds.tick()
    (again,) = deliveries(api, doctor, endpoint)
    assert again["status"] == "dead"
    assert again["attempt_count"] == len(RETRY_SCHEDULE) + 1


class ProcessDied(BaseException):
    """The Lambda's process ended here (a timeout, out of memory): nothing catches it."""


def test_a_crash_between_writing_and_queueing_loses_nothing(
    api: Api,
    rounds: Rounds,
    receiver: receivers.Receiver,
    fixed_clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    issue(api, doctor)

    def crash(short: str, messages: list[Message]) -> None:
        raise ProcessDied

    with monkeypatch.context() as patch:
        patch.setattr(queues, "send", crash)
        with pytest.raises(ProcessDied):
            webhook_delivery.dispatch(fixed_clock)
    # The delivery record was written, the event is still pending, nothing was sent.
    assert only_delivery(endpoint).state == "pending"
    assert len(outbox.pending_ids(10)) == 1

    rounds.tick()
    assert len(receiver.delivered()) == 1
    assert outbox.pending_ids(10) == []
    fixed_clock.advance(DAY)
    rounds.tick(2)
    assert len(receiver.received) == 1


def test_a_sender_that_dies_midway_is_replaced(
    api: Api,
    rounds: Rounds,
    receiver: receivers.Receiver,
    fixed_clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    issue(api, doctor)

    def die(*args: object) -> outbound.Answer:
        raise RuntimeError("the Lambda timed out here")

    with monkeypatch.context() as patch:
        patch.setattr(outbound, "post", die)
        with pytest.raises(Exception, match="All records failed"):
            rounds.tick()
    claimed = only_delivery(endpoint)
    assert claimed.state == "pending"
    assert claimed.attempts == 1
    # Until the lease runs out no one else takes the attempt.
    fixed_clock.advance(webhook_delivery.LEASE - timedelta(seconds=1))
    rounds.tick()
    assert receiver.received == []

    fixed_clock.advance(timedelta(seconds=2))
    rounds.tick()
    assert len(receiver.delivered()) == 1
    assert only_delivery(endpoint).state == "delivered"


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"h{i}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:dhn-test-webhooks",
            }
            for i, body in enumerate(bodies)
        ]
    }


def test_one_failing_endpoint_does_not_fail_the_batch(api: Api, fixed_clock: FixedClock) -> None:
    import app

    doctor = api.doctor()
    patient = api.patient()
    with receivers.running() as down, receivers.running() as up:
        down.answers.extend([(500, {})] * 5)
        subscribe(api, doctor, down)
        subscribe(api, patient, up)
        issue(api, doctor)
        webhook_delivery.dispatch(fixed_clock)
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=config.queue_name("webhooks"))["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        bodies = [m["Body"] for m in got]
        assert len(bodies) == 3
        broken = json.dumps({"endpoint_id": "whk_x"})

        answer = app.send_webhooks(sqs_event([*bodies, broken]), None)

        assert answer == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
        assert len(up.delivered()) == 2
        assert [r.status for r in down.received] == [500]


def test_deleting_an_endpoint_cancels_what_it_was_still_owed(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    doctor = api.doctor()
    endpoint = subscribe(api, doctor, receiver)
    receiver.answers.append((500, {}))
    issue(api, doctor)
    rounds.tick()
    assert api.delete(f"/v1/webhooks/{endpoint}", doctor).status == 204
    fixed_clock.advance(DAY)
    rounds.tick()
    assert len(receiver.received) == 1
    assert only_delivery(endpoint).state == "cancelled"


def _relatives(api: Api) -> tuple[str, str, str]:
    """A practice with opening hours, and the adult patient acting for their spouse: the
    booker's token, the spouse's token and the link's id."""
    practice = api.doctor()
    assert api.put("/v1/practice/availability", practice, HOURS).status == 200
    booker, spouse = api.patient(), api.patient(SPOUSE)
    made = api.post("/v1/patient/relatives", booker, {"matricule": SPOUSE, "relationship": "spouse"})
    assert made.status == 201, made.body
    link_id = str(made.json["link_id"])
    assert api.post(f"/v1/patient/relatives/{link_id}/accept", spouse).status == 200
    return booker, spouse, link_id


def _book_for_spouse(api: Api, booker: str, start: str) -> str:
    body = {"doctor_code": DOCTOR_CODE, "start": start, "patient_matricule": SPOUSE}
    booked = api.post("/v1/appointments", booker, body)
    assert booked.status == 201, booked.body
    return str(booked.json["id"])


def _types(receiver: receivers.Receiver) -> list[str]:
    return sorted(r.body["type"] for r in receiver.delivered())


def test_a_relative_hears_of_the_appointments_they_booked_while_the_link_holds(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    booker, _, _ = _relatives(api)
    subscribe(api, booker, receiver)
    _book_for_spouse(api, booker, IN_TWO_DAYS)
    fixed_clock.advance(timedelta(hours=23))  # the reminder is due
    rounds.tick()
    assert _types(receiver) == ["appointment.booked", "appointment.reminder"]
    for delivered in receiver.delivered():
        assert delivered.body["data"]["patient_id"] == api.ids[SPOUSE]
        assert delivered.body["data"]["booked_by"] == api.ids[ADULT]
        assert SPOUSE not in json.dumps(delivered.body) and ADULT not in json.dumps(delivered.body)


def test_a_former_relative_hears_nothing_more_not_even_of_what_they_booked(
    api: Api, rounds: Rounds, receiver: receivers.Receiver, fixed_clock: FixedClock
) -> None:
    booker, spouse, link_id = _relatives(api)
    subscribe(api, booker, receiver)
    with receivers.running() as theirs:
        subscribe(api, spouse, theirs)
        reminded = _book_for_spouse(api, booker, IN_TWO_DAYS)
        rounds.tick()
        assert _types(receiver) == ["appointment.booked"]
        # Written while the link held, routed once it has ended: the former relative is not told.
        cancelled = _book_for_spouse(api, booker, "2026-11-25T10:00:00+01:00")
        assert api.delete(f"/v1/patient/relatives/{link_id}", spouse).status == 204
        assert api.delete(f"/v1/appointments/{cancelled}", spouse).status == 204
        fixed_clock.advance(timedelta(hours=23))
        rounds.tick()
        assert _types(receiver) == ["appointment.booked"]
        assert _types(theirs) == sorted(
            ["appointment.booked"] * 2 + ["appointment.cancelled", "appointment.reminder"]
        )
        reminder = next(r for r in theirs.delivered() if r.body["type"] == "appointment.reminder")
        assert reminder.body["data"]["appointment_id"] == reminded
    assert api.delete(f"/v1/appointments/{reminded}", api.login(ADULT)).status == 404


def test_secrets_and_personal_data_stay_out_of_the_logs(
    api: Api,
    rounds: Rounds,
    receiver: receivers.Receiver,
    fixed_clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doctor = api.doctor()
    patient = api.patient()
    subscribe(api, patient, receiver)
    receiver.answers.extend([(500, {}), (410, {})])
    issue(api, doctor)
    rounds.tick()
    fixed_clock.advance(DAY)
    rounds.tick()
    (secret,) = receiver.secrets
    endpoint = webhooks.get_endpoint(only_delivery_endpoint(api.login(), api))
    assert endpoint is not None
    stored = endpoint.sealed_secret
    out = capsys.readouterr()
    for text in (secret, secret.removeprefix("whsec_"), stored, ADULT):
        assert text not in out.out + out.err


def only_delivery_endpoint(token: str, api: Api) -> str:
    (endpoint,) = api.get("/v1/webhooks", token).json["items"]
    return str(endpoint["id"])
