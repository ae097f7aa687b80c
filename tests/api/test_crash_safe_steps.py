"""A pharmacy's steps (dispense, close, reject) and a patient's employer share, sent with an
`Idempotency-Key`, after a crash at a chosen point: before the step's transaction commits
(nothing is written, the retry runs as the first time), or after it, before the answer
leaves (the edge answers 500, as API Gateway would a dead function). The retry with the same
key and body gets the answer the first request would have given, the step's effect happens
once, and later steps do not change that answer. The same key with another body is 422.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.domain.idempotency import Once
from chalicelib.services import identity
from chalicelib.store import prescriptions as store
from tests.api.conftest import ADULT, Answer, Api
from tests.api.test_certificates import issue
from tests.api.test_crash_safety import crash_once, items
from tests.api.test_prescriptions import OTHER_PHARMACY, accept, events, pharmacy, prescribed
from tests.api.test_transaction_conflicts import Cancelling, inject

# Where the first request dies: its transaction about to be sent; the answer about to be
# shaped; the answer shaped, about to become the reply.
BEFORE_COMMIT = ("chalicelib.store.idempotency", "refusals")
AS_REPLY = ("chalicelib.api.edge.routing", "_as_reply")
WHERE = ["before-commit", "shaping", "reply"]


@pytest.fixture
def world(api: Api) -> dict[str, str]:
    return {
        "doctor": api.doctor(),
        "patient": api.patient(),
        "pharmacy": pharmacy(api),
        "other": pharmacy(api, OTHER_PHARMACY, "Pharmacie de la Gare"),
    }


def held(api: Api, world: dict[str, str], **fields: Any) -> tuple[str, dict[str, Any], str]:
    """A prescription the world's pharmacy accepted: its id, what the accept answered of it,
    and the secret."""
    made = prescribed(api, world["doctor"], **fields)
    accepted = accept(api, world["pharmacy"], made["qr"])
    assert accepted.status == 200, accepted.body
    return made["id"], dict(accepted.json["prescription"]), str(accepted.json["secret"])


def step(api: Api, token: str, rx: str, action: str, body: dict[str, Any], key: str) -> Answer:
    return api.post(
        f"/v1/pharmacy/prescriptions/{rx}/{action}", token, body, headers={"Idempotency-Key": key}
    )


def journaled(api: Api, patient: str, action: str) -> int:
    """How many entries of `action` the patient's access journal holds."""
    got = api.get("/v1/patient/access-log?limit=100", patient)
    assert got.status == 200, got.body
    return sum(entry["action"] == action for entry in got.json["items"])


def crash(monkeypatch: pytest.MonkeyPatch, where: tuple[str, str]) -> None:
    module, name = where
    crash_once(monkeypatch, importlib.import_module(module), name)


@pytest.mark.parametrize(
    "where", [BEFORE_COMMIT, ("chalicelib.api.pharmacy", "held_json"), AS_REPLY], ids=WHERE
)
def test_a_dispense_retried_after_a_crash_answers_the_first_and_counts_once(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch, where: tuple[str, str]
) -> None:
    rx, before, secret = held(api, world)
    body = {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
    crash(monkeypatch, where)
    assert step(api, world["pharmacy"], rx, "dispense", body, "give-1").status == 500
    retried = step(api, world["pharmacy"], rx, "dispense", body, "give-1")
    assert retried.status == 200, retried.body
    first = {**before, "dispensed": [{"index": 0, "quantity": 1, "substituted_with": None}]}
    assert retried.json == first
    # A retry answered from its key's record journals no second dispense; one that runs
    # again, the first having died before its commit, journals its own access.
    assert journaled(api, world["patient"], "prescription.dispense") == (2 if where == BEFORE_COMMIT else 1)
    more = {"secret": secret, "items": [{"index": 0, "quantity": 1}, {"index": 1, "quantity": 1}]}
    assert step(api, world["pharmacy"], rx, "dispense", more, "give-2").status == 200
    # The first dispense counted once: had it counted twice, item 0 would now be over.
    now = store.get(rx)
    assert now is not None
    assert [(d.index, d.quantity) for d in now.dispensed] == [(0, 1), (0, 1), (1, 1)]
    # The second dispense changed the prescription; the first key still answers what it did.
    assert step(api, world["pharmacy"], rx, "dispense", body, "give-1").json == first


@pytest.mark.parametrize(
    "where", [BEFORE_COMMIT, ("chalicelib.api.pharmacy", "closed_json"), AS_REPLY], ids=WHERE
)
def test_a_close_retried_after_a_crash_answers_its_receipt_and_closes_one_round(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch, where: tuple[str, str]
) -> None:
    rx, _, secret = held(api, world, repeats=1)
    given = step(
        api,
        world["pharmacy"],
        rx,
        "dispense",
        {"secret": secret, "items": [{"index": 0, "quantity": 2}]},
        "give-1",
    )
    assert given.status == 200, given.body
    crash(monkeypatch, where)
    assert step(api, world["pharmacy"], rx, "close", {"secret": secret}, "close-1").status == 500
    retried = step(api, world["pharmacy"], rx, "close", {"secret": secret}, "close-1")
    assert retried.status == 200, retried.body
    closed = store.get(rx)
    assert closed is not None
    [done] = closed.rounds
    assert retried.json == {"id": rx, "status": "ready", "repeats_left": 0, "receipt": done.receipt}
    assert done.receipt.startswith("DHN1:")
    assert len(events("prescription.dispensed")) == 1
    # Another pharmacy takes the repeat: the close's key still answers the close.
    made = api.get(f"/v1/prescriptions/{rx}", world["doctor"]).json
    assert accept(api, world["other"], made["qr"]).status == 200
    assert step(api, world["pharmacy"], rx, "close", {"secret": secret}, "close-1").json == retried.json


@pytest.mark.parametrize(
    "where", [BEFORE_COMMIT, ("chalicelib.api.pharmacy", "held_json"), AS_REPLY], ids=WHERE
)
def test_a_reject_retried_after_a_crash_answers_the_first_and_hands_back_once(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch, where: tuple[str, str]
) -> None:
    rx, before, secret = held(api, world)
    body = {"secret": secret, "reason": "en rupture de stock"}
    crash(monkeypatch, where)
    assert step(api, world["pharmacy"], rx, "reject", body, "back-1").status == 500
    retried = step(api, world["pharmacy"], rx, "reject", body, "back-1")
    assert retried.status == 200, retried.body
    assert retried.json == {**before, "status": "ready"}
    made = api.get(f"/v1/prescriptions/{rx}", world["doctor"]).json
    assert made["reject_reason"] == "en rupture de stock"
    assert accept(api, world["other"], made["qr"]).status == 200
    # Issued (0), accepted, handed back once, accepted by the other pharmacy.
    taken = store.get(rx)
    assert taken is not None
    assert (taken.version, taken.hold and taken.hold.pharmacy_code) == (3, OTHER_PHARMACY)
    assert step(api, world["pharmacy"], rx, "reject", body, "back-1").json == retried.json


def share(api: Api, patient: str, certificate_id: str, key: str, **fields: Any) -> Answer:
    path = f"/v1/patient/certificates/{certificate_id}/employer-shares"
    return api.post(path, patient, fields, headers={"Idempotency-Key": key})


@pytest.mark.parametrize(
    "where", [BEFORE_COMMIT, ("chalicelib.api.certificates", "share_json"), AS_REPLY], ids=WHERE
)
def test_a_share_retried_after_a_crash_answers_the_one_code_there_is(
    api: Api, monkeypatch: pytest.MonkeyPatch, fixed_clock: FixedClock, where: tuple[str, str]
) -> None:
    from datetime import timedelta

    doctor = api.doctor()
    api.register(ADULT, name="Marie Schmit")
    patient = api.login(ADULT)
    made = issue(api, doctor)
    crash(monkeypatch, where)
    assert share(api, patient, made["id"], "share-1", employer_name="Cactus SA").status == 500
    fixed_clock.advance(timedelta(minutes=5))
    retried = share(api, patient, made["id"], "share-1", employer_name="Cactus SA")
    assert retried.status == 201, retried.body
    [kept] = items("employer-shares")
    code = retried.json["code"]
    assert kept["code_hash"]["S"] == identity.digest(code)
    # Shared at the first request's instant when it committed, at the retry's when it did not.
    shared_at = "2026-12-23T09:30:00.000Z" if where != BEFORE_COMMIT else "2026-12-23T09:35:00.000Z"
    assert retried.json == {"code": code, "url": f"/v1/employer/certificates/{code}", "expires_at": shared_at}
    assert api.get(retried.json["url"]).status == 200
    assert share(api, patient, made["id"], "share-1", employer_name="Cactus SA").json == retried.json


@pytest.mark.parametrize(
    ("action", "first", "other"),
    [
        ("dispense", {"items": [{"index": 0, "quantity": 1}]}, {"items": [{"index": 0, "quantity": 2}]}),
        ("reject", {"reason": "en rupture de stock"}, {"reason": "autre raison"}),
    ],
)
def test_a_step_with_its_key_and_another_body_is_422(
    api: Api, world: dict[str, str], action: str, first: dict[str, Any], other: dict[str, Any]
) -> None:
    rx, _, secret = held(api, world)
    assert step(api, world["pharmacy"], rx, action, {"secret": secret, **first}, "k-1").status == 200
    refused = step(api, world["pharmacy"], rx, action, {"secret": secret, **other}, "k-1")
    assert refused.status == 422
    assert [e["field"] for e in refused.json["errors"]] == ["Idempotency-Key"]
    # The same key on another step is another request too.
    assert step(api, world["pharmacy"], rx, "close", {"secret": secret}, "k-1").status == 422


def test_a_share_with_its_key_and_another_body_is_422_and_makes_no_second_share(api: Api) -> None:
    doctor = api.doctor()
    api.register(ADULT, name="Marie Schmit")
    patient = api.login(ADULT)
    made = issue(api, doctor)
    first = share(api, patient, made["id"], "share-1", employer_name="Cactus SA")
    assert first.status == 201, first.body
    refused = share(api, patient, made["id"], "share-1", employer_name="Luxair")
    assert refused.status == 422
    assert [e["field"] for e in refused.json["errors"]] == ["Idempotency-Key"]
    assert len(items("employer-shares")) == 1


def test_twin_dispenses_with_one_key_in_flight_answer_alike_and_count_once(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rx, _, secret = held(api, world)
    body = {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
    # The twin read the prescription before the first request committed: the state machine
    # lets it through, and only its transaction's conditions can tell.
    stale = store.get(rx)
    first = step(api, world["pharmacy"], rx, "dispense", body, "give-1")
    assert first.status == 200, first.body
    monkeypatch.setattr(store, "get", lambda _id: stale)
    twin = step(api, world["pharmacy"], rx, "dispense", body, "give-1")
    monkeypatch.undo()
    assert (twin.status, twin.json) == (200, first.json)
    given = store.get(rx)
    assert given is not None and [(d.index, d.quantity) for d in given.dispensed] == [(0, 1)]


def test_keyed_steps_survive_colliding_transactions_and_answer_alike_again(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rx, _, secret = held(api, world)
    faults = inject(monkeypatch, Cancelling((True, False)))
    body = {"secret": secret, "items": [{"index": 0, "quantity": 2}]}
    given = step(api, world["pharmacy"], rx, "dispense", body, "give-1")
    closed = step(api, world["pharmacy"], rx, "close", {"secret": secret}, "close-1")
    assert (given.status, closed.status) == (200, 200), (given.body, closed.body)
    assert step(api, world["pharmacy"], rx, "dispense", body, "give-1").json == given.json
    assert step(api, world["pharmacy"], rx, "close", {"secret": secret}, "close-1").json == closed.json
    assert faults.cancelled >= 2
    assert len(events("prescription.dispensed")) == 1


def test_a_steps_record_keeps_its_answer_sealed_for_its_object_alone(api: Api, world: dict[str, str]) -> None:
    from cryptography.exceptions import InvalidTag

    from chalicelib.store import idempotency

    rx, before, secret = held(api, world)
    body = {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
    assert step(api, world["pharmacy"], rx, "dispense", body, "give-1").status == 200
    made = issue(api, world["doctor"])
    shared = share(api, world["patient"], made["id"], "share-1", employer_name="Cactus SA")
    assert shared.status == 201, shared.body
    records = items("idempotency")
    assert len(records) == 2
    stored = str(records)
    for clear in (shared.json["code"], before["patient"]["name"], "Paracétamol", "Cactus SA", rx):
        assert clear not in stored
    # The share's record carries its code; the dispense's, the whole prescription, longer.
    (code, of_share), (snapshot, of_dispense) = sorted(
        ((r["made"]["S"], Once(r["id"]["S"], r["fingerprint"]["S"], datetime.now(UTC))) for r in records),
        key=lambda made_by: len(made_by[0]),
    )
    assert idempotency.unsealed(code, of_share, made["id"]) == shared.json["code"]
    assert store.stepped(rx, snapshot, of_dispense).dispensed[0].quantity == 1
    # Taken for another object, or under another key's record, a sealed answer opens nothing.
    with pytest.raises(InvalidTag):
        idempotency.unsealed(code, of_share, rx)
    with pytest.raises(InvalidTag):
        store.stepped(made["id"], snapshot, of_dispense)
    with pytest.raises(InvalidTag):
        idempotency.unsealed(code, of_dispense, made["id"])
