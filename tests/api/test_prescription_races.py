"""Exactly one pharmacy holds a prescription, under the faults moto never makes: transactions
cancelled by `TransactionConflict`, and twelve pharmacies that all read it `ready` before any
of them writes. One accept wins; the others are 409 and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.store import prescriptions as store
from tests.api.conftest import Api
from tests.api.test_prescriptions import accept, events, pharmacy, prescribed, step
from tests.api.test_transaction_conflicts import Cancelling, inject

PHARMACIES = 12


def test_twelve_pharmacies_that_read_it_ready_at_once_give_one_holder(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = api.doctor()
    api.register()
    made = prescribed(api, doctor)
    tokens = [pharmacy(api, f"{400000 + n:06d}", f"Pharmacie {n}") for n in range(PHARMACIES)]
    # Every accept reads the prescription as it was before any of them wrote: each passes the
    # state machine, and only the conditional write can tell them apart.
    stale = store.get(made["id"])
    monkeypatch.setattr(store, "get", lambda _id: stale)
    faults = inject(monkeypatch, Cancelling((True, False, False)))
    statuses = [accept(api, token, made["qr"]).status for token in tokens]
    assert sorted(statuses) == [200] + [409] * (PHARMACIES - 1)
    assert faults.cancelled >= PHARMACIES // 3
    monkeypatch.undo()
    winner = tokens[statuses.index(200)]
    held = store.get(made["id"])
    assert held is not None and held.status == "in_progress" and held.version == 1
    assert held.hold is not None and held.hold.pharmacy_code == f"{400000 + statuses.index(200):06d}"
    # Another pharmacy is still refused; the winner accepting again (its answer lost) is not.
    loser = tokens[(statuses.index(200) + 1) % PHARMACIES]
    assert accept(api, loser, made["qr"]).status == 409
    assert accept(api, winner, made["qr"]).status == 200


def test_every_step_survives_colliding_transactions(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    doctor = api.doctor()
    api.register()
    token = pharmacy(api)
    # 3 of every 10 transactions collide, as in the other fault tests.
    faults = inject(
        monkeypatch, Cancelling((True, False, False, True, False, False, True, False, False, False))
    )
    made = prescribed(api, doctor, repeats=1)
    statuses: list[Any] = []
    for _ in range(2):
        accepted = accept(api, token, made["qr"])
        assert accepted.status == 200, accepted.body
        secret = accepted.json["secret"]
        given = step(
            api, token, made["id"], "dispense", {"secret": secret, "items": [{"index": 0, "quantity": 2}]}
        )
        assert given.status == 200, given.body
        closed = step(api, token, made["id"], "close", {"secret": secret})
        assert closed.status == 200, closed.body
        statuses.append((closed.json["status"], closed.json["repeats_left"]))
    assert statuses == [("ready", 0), ("completed", 0)]
    assert len(events("prescription.dispensed")) == 2
    assert len(events("prescription.issued")) == 1
    assert faults.cancelled >= 3


def test_a_dispense_that_lost_to_another_step_is_409_and_counts_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = api.doctor()
    api.register()
    token = pharmacy(api)
    made = prescribed(api, doctor)
    secret = accept(api, token, made["qr"]).json["secret"]
    before = store.get(made["id"])
    body = {"secret": secret, "items": [{"index": 0, "quantity": 2}]}
    assert step(api, token, made["id"], "dispense", body).status == 200
    # A second dispense computed from the version before the first one: it must not add up.
    monkeypatch.setattr(store, "get", lambda _id: before)
    assert step(api, token, made["id"], "dispense", body).status == 409
    monkeypatch.undo()
    after = store.get(made["id"])
    assert after is not None and [d.quantity for d in after.dispensed] == [2]
