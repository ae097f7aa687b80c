"""Real DynamoDB cancels a transaction that touches an item another transaction is writing at
the same moment (`TransactionConflict`), and throttles; moto never does. Here a share of the
`TransactWriteItems` calls is cancelled that way before it reaches moto, as DynamoDB would:
the lost attempt writes nothing, and the request must still succeed, or answer 409, never 500.
"""

from __future__ import annotations

from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.store import base
from tests.api.conftest import NOW, Api


class Cancelling:
    """Cancels the calls whose turn comes up in `pattern` (True: cancel), in a cycle."""

    def __init__(self, pattern: tuple[bool, ...], code: str = "TransactionConflict") -> None:
        self.pattern = pattern
        self.code = code
        self.calls = 0
        self.cancelled = 0

    def __call__(self, operation: str, params: dict[str, Any]) -> None:
        if operation != "TransactWriteItems":
            return
        turn = self.pattern[self.calls % len(self.pattern)]
        self.calls += 1
        if turn:
            self.cancelled += 1
            items = len(params["TransactItems"])
            answer: Any = {
                "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                "CancellationReasons": [{"Code": self.code}] + [{"Code": "None"}] * (items - 1),
            }
            raise ClientError(answer, operation)


def inject(monkeypatch: pytest.MonkeyPatch, faults: Cancelling) -> Cancelling:
    """Every AWS call goes through `faults` first, as if DynamoDB had answered it."""
    real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private, untyped)

    def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        faults(operation, params)
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(base, "_RETRY_PAUSE_SECONDS", 0.0)
    return faults


@pytest.fixture
def cancelling(monkeypatch: pytest.MonkeyPatch) -> Cancelling:
    # 3 of every 10 transactions collide, the first of a request's attempts included.
    return inject(
        monkeypatch, Cancelling((True, False, False, True, False, False, True, False, False, False))
    )


def test_issuance_survives_colliding_transactions_with_gap_free_numbers(
    api: Api, cancelling: Cancelling
) -> None:
    doctor = api.doctor()
    api.register()
    numbers = []
    for _ in range(20):
        made = api.invoice(doctor)
        assert made.status == 201, made.body
        numbers.append(made.json["number"])
    assert cancelling.cancelled >= 6
    assert numbers == [f"2026-{n:06d}" for n in range(1, 21)]


def test_claims_and_decisions_survive_colliding_transactions(api: Api, cancelling: Cancelling) -> None:
    doctor, insurer = api.doctor(), api.insurer()
    patient = api.patient()
    for _ in range(5):
        invoice = api.invoice(doctor)
        assert invoice.status == 201, invoice.body
        proof = {"method": "card", "paid_at": "2026-11-20T10:00:00Z"}
        claim = api.post(
            "/v1/patient/claims", patient, {"invoice_id": invoice.json["id"], "proof_of_payment": proof}
        )
        assert claim.status == 201, claim.body
        decided = api.post(
            f"/v1/insurer/claims/{claim.json['id']}/decision", insurer, {"outcome": "reimbursed"}
        )
        assert decided.status == 200, decided.body
    assert cancelling.cancelled >= 3


def test_a_transaction_that_keeps_colliding_is_a_409_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor = api.doctor()
    api.register()
    always = inject(monkeypatch, Cancelling((True,), code="ThrottlingError"))
    refused = api.invoice(doctor)
    assert refused.status == 409, refused.body
    assert refused.headers["content-type"] == "application/problem+json"
    assert always.calls == base.TRANSACTION_ATTEMPTS
    monkeypatch.undo()
    assert api.get("/v1/invoices", doctor).json["items"] == []
    assert api.invoice(doctor).json["number"] == "2026-000001"


def test_a_failing_condition_is_not_retried() -> None:
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    def lost(code: str) -> TransactWriteError:
        cause = VerboseClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "x"}},
            "TransactWriteItems",
            cancellation_reasons=[CancellationReason(code=code), None],
        )
        error = TransactWriteError("cancelled")
        error.cause = cause
        return error

    assert base.collided(lost("TransactionConflict"))
    assert base.collided(lost("ThrottlingError"))
    assert not base.collided(lost("ConditionalCheckFailed"))


def test_refusals_name_the_tables_whose_conditions_failed(api: Api) -> None:
    """DynamoDB's reasons come in the order PynamoDB sends the items (checks, deletes, puts,
    updates), whatever order they were added in: each refusal names its own table."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.store.appointments import BookedSlot
    from chalicelib.store.invoices import Counter
    from chalicelib.store.outbox import OutboxEvent

    now = NOW
    OutboxEvent("evt_taken", type="test", occurred_at=now, data={}).save()

    def write(tx: TransactWrite) -> None:
        tx.update(Counter("seq"), actions=[Counter.value.set(1)], condition=Counter.name.does_not_exist())
        tx.save(
            OutboxEvent("evt_taken", type="test", occurred_at=now, data={}),
            condition=OutboxEvent.event_id.does_not_exist(),
        )
        tx.save(
            BookedSlot("123456-78", now, appointment_id="apt_1"),
            condition=BookedSlot.doctor_code.does_not_exist(),
        )

    assert base.refusals(write) == {OutboxEvent.Meta.table_name}
    assert base.transact(write) is False
    # Nothing of the refused transactions was written.
    assert list(BookedSlot.query("123456-78")) == []
    assert not base.refusals(lambda tx: tx.save(BookedSlot("123456-78", now, appointment_id="apt_1")))
    assert base.refusals(write) == {OutboxEvent.Meta.table_name, BookedSlot.Meta.table_name}
