"""Claims under moto: filing (app and paper), the insurer's queue, decisions, direct payment,
withdrawal with the invoice, and the overdue sweep with a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict
from chalicelib.core.time_budget import UNLIMITED
from tests.api.conftest import ADULT, Answer, Api

OTHER = "1985031200182"
PROOF = {"method": "card", "reference": "TX-42", "paid_at": "2026-11-20T10:00:00Z"}
SHARE = 5078  # 88 % of C1 (5770) for an adult


@dataclass
class World:
    api: Api
    doctor: str
    patient: str
    insurer: str

    def paid_invoice(self, **fields: Any) -> dict[str, Any]:
        made = self.api.invoice(self.doctor, **fields)
        assert made.status == 201, made.body
        return dict(made.json)

    def claim(self, invoice_id: str, token: str | None = None, **headers: str) -> Answer:
        body = {"invoice_id": invoice_id, "proof_of_payment": PROOF}
        return self.api.post("/v1/patient/claims", token or self.patient, body, headers=headers)

    def filed(self) -> dict[str, Any]:
        answer = self.claim(self.paid_invoice()["id"])
        assert answer.status == 201, answer.body
        return dict(answer.json)

    def decide(self, claim_id: str, token: str | None = None, **decision: Any) -> Answer:
        body = decision or {"outcome": "reimbursed", "payment_reference": "SEPA-1"}
        return self.api.post(f"/v1/insurer/claims/{claim_id}/decision", token or self.insurer, body)

    def queue(self, query: str = "", token: str | None = None) -> Answer:
        return self.api.get(f"/v1/insurer/claims{query}", token or self.insurer)

    def invoice_status(self, invoice_id: str) -> str:
        return str(self.api.get(f"/v1/invoices/{invoice_id}", self.doctor).json["status"])


@pytest.fixture
def world(api: Api) -> World:
    return World(api, api.doctor(), api.patient(), api.insurer("CNS"))


def events(type: str) -> list[Any]:
    from chalicelib.store.outbox import OutboxEvent

    return [e for e in OutboxEvent.scan() if e.type == type]


def field_of(answer: Answer) -> str:
    assert answer.status == 422, answer.body
    return str(answer.json["errors"][0]["field"])


# Filing from the app.


def test_patient_files_a_claim_for_a_paid_invoice(world: World) -> None:
    invoice = world.paid_invoice()
    got = world.claim(invoice["id"])
    assert got.status == 201, got.body
    claim = got.json
    assert claim["id"].startswith("clm_")
    assert claim["invoice_id"] == invoice["id"]
    assert (claim["insurer"], claim["kind"], claim["status"], claim["channel"]) == (
        "CNS",
        "reimbursement",
        "pending",
        "app",
    )
    assert claim["submitted_at"] == "2026-11-23T09:30:00.000Z"
    assert claim["due_at"] == "2026-11-28T09:30:00.000Z"
    assert claim["amount_claimed_cents"] == SHARE
    assert claim["proof_of_payment"] == {**PROOF, "paid_at": "2026-11-20T10:00:00.000Z"}
    assert world.invoice_status(invoice["id"]) == "claimed"
    [submitted] = events("claim.submitted")
    assert submitted.patient == ADULT and submitted.doctor_code is None
    assert submitted.data["claim_id"] == claim["id"]
    assert ADULT not in str(submitted.data)


def test_one_claim_per_invoice(world: World) -> None:
    invoice = world.paid_invoice()
    assert world.claim(invoice["id"]).status == 201
    again = world.claim(invoice["id"])
    assert again.status == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_a_retried_submission_with_its_key_gives_the_first_answer(world: World) -> None:
    invoice = world.paid_invoice()
    first = world.claim(invoice["id"], **{"Idempotency-Key": "claim-1"})
    retried = world.claim(invoice["id"], **{"Idempotency-Key": "claim-1"})
    assert (first.status, retried.status) == (201, 201)
    assert retried.json == first.json


def test_an_unpaid_invoice_cannot_be_claimed(world: World) -> None:
    unpaid = world.paid_invoice(payment=None)
    assert field_of(world.claim(unpaid["id"])) == "invoice_id"


def test_a_cancelled_invoice_cannot_be_claimed(world: World) -> None:
    invoice = world.paid_invoice()
    assert (
        world.api.post(f"/v1/invoices/{invoice['id']}/cancel", world.doctor, {"reason": "erreur"}).status
        == 200
    )
    assert field_of(world.claim(invoice["id"])) == "invoice_id"


def test_another_patients_invoice_is_not_found(world: World) -> None:
    invoice = world.paid_invoice()
    stranger = world.api.patient(OTHER)
    assert world.claim(invoice["id"], stranger).status == 404
    assert world.claim("inv_01KAAAAAAAAAAAAAAAAAAAAAAA").status == 404
    assert world.claim("not-an-id").status == 404


@pytest.mark.parametrize(
    ("proof", "field"),
    [
        ({"method": "card"}, "proof_of_payment.paid_at"),
        ({**PROOF, "paid_at": "2026-11-20T10:00:00"}, "proof_of_payment.paid_at"),
        ({**PROOF, "paid_at": "2026-11-24T10:00:00Z"}, "proof_of_payment.paid_at"),
        ({**PROOF, "paid_at": "2026-11-19T10:00:00Z"}, "proof_of_payment.paid_at"),
        ({**PROOF, "method": "cheque"}, "proof_of_payment.method"),
        ({**PROOF, "extra": 1}, "proof_of_payment.extra"),
    ],
)
def test_proof_of_payment_is_checked(world: World, proof: dict[str, Any], field: str) -> None:
    invoice = world.paid_invoice()
    got = world.api.post(
        "/v1/patient/claims", world.patient, {"invoice_id": invoice["id"], "proof_of_payment": proof}
    )
    assert field_of(got) == field
    assert world.invoice_status(invoice["id"]) == "paid"


def test_claim_routes_check_the_role(world: World) -> None:
    invoice = world.paid_invoice()
    body = {"invoice_id": invoice["id"], "proof_of_payment": PROOF}
    assert world.api.post("/v1/patient/claims", None, body).status == 401
    assert world.api.post("/v1/patient/claims", world.doctor, body).status == 403
    assert world.api.get("/v1/patient/claims", world.insurer).status == 403
    assert world.api.get("/v1/insurer/claims", world.patient).status == 403
    assert (
        world.api.post(
            "/v1/insurer/claims", world.patient, {"qr": invoice["qr"], "proof_of_payment": PROOF}
        ).status
        == 403
    )
    assert world.decide("clm_01KAAAAAAAAAAAAAAAAAAAAAAA", world.doctor).status == 403


def test_patient_lists_only_their_own_claims_newest_first(world: World, fixed_clock: FixedClock) -> None:
    first = world.filed()
    fixed_clock.advance(timedelta(minutes=1))
    second = world.filed()
    mine = world.api.get("/v1/patient/claims", world.patient)
    assert mine.status == 200
    assert [c["id"] for c in mine.json["items"]] == [second["id"], first["id"]]
    page = world.api.get("/v1/patient/claims?limit=1", world.patient).json
    assert [c["id"] for c in page["items"]] == [second["id"]]
    assert page["next_cursor"] and ADULT not in page["next_cursor"]
    import base64

    assert ADULT not in base64.urlsafe_b64decode(page["next_cursor"] + "==").decode()
    rest = world.api.get(f"/v1/patient/claims?limit=1&cursor={page['next_cursor']}", world.patient).json
    assert [c["id"] for c in rest["items"]] == [first["id"]]
    stranger = world.api.patient(OTHER)
    assert world.api.get("/v1/patient/claims", stranger).json["items"] == []
    # A cursor names no patient: in another patient's hands it resumes their own (empty) list.
    resumed = world.api.get(f"/v1/patient/claims?limit=1&cursor={page['next_cursor']}", stranger)
    assert (resumed.status, resumed.json["items"]) == (200, [])


# The insurer's queue.


def test_queue_is_oldest_first_paginated_and_only_the_insurers_own(
    world: World, fixed_clock: FixedClock
) -> None:
    filed = []
    for _ in range(3):
        filed.append(world.filed()["id"])
        fixed_clock.advance(timedelta(seconds=1))
    page = world.queue("?status=pending&limit=2")
    assert page.status == 200
    assert [c["id"] for c in page.json["items"]] == filed[:2]
    rest = world.queue(f"?status=pending&limit=2&cursor={page.json['next_cursor']}").json
    assert [c["id"] for c in rest["items"]] == filed[2:]
    assert rest["next_cursor"] is None
    assert [c["id"] for c in world.queue().json["items"]] == filed
    assert world.queue("?status=pending", world.api.insurer("CMFEP")).json["items"] == []
    assert world.queue("?cursor=%%%").status == 422
    for other_list in ("?overdue=false", "", "?status=reimbursed"):
        resumed = world.queue(f"{other_list}{'&' if other_list else '?'}cursor={page.json['next_cursor']}")
        assert field_of(resumed) == "cursor"
    assert field_of(
        world.queue(f"?status=pending&cursor={page.json['next_cursor']}", world.api.insurer("CMFEP"))
    ) == ("cursor")
    assert field_of(world.queue("?status=reimbursed&overdue=true")) == "overdue"
    assert field_of(world.queue("?status=lost")) == "status"


def test_a_decision_leaves_the_pending_queue(world: World) -> None:
    claim = world.filed()
    assert world.decide(claim["id"]).status == 200
    assert world.queue("?status=pending").json["items"] == []
    assert [c["id"] for c in world.queue("?status=reimbursed").json["items"]] == [claim["id"]]


# Decisions.


def test_reimbursing_pays_the_insurer_share_and_the_invoice_follows(world: World) -> None:
    claim = world.filed()
    got = world.decide(claim["id"])
    assert got.status == 200, got.body
    assert got.json["status"] == "reimbursed"
    assert got.json["decision"] == {
        "outcome": "reimbursed",
        "reimbursed_cents": SHARE,
        "reason": None,
        "payment_reference": "SEPA-1",
        "decided_at": "2026-11-23T09:30:00.000Z",
    }
    assert world.invoice_status(claim["invoice_id"]) == "reimbursed"
    [mine] = world.api.get("/v1/patient/claims", world.patient).json["items"]
    assert mine["status"] == "reimbursed"
    [decided] = events("claim.decided")
    assert decided.patient == ADULT and decided.doctor_code is None
    assert decided.data["reimbursed_cents"] == SHARE


def test_the_same_decision_again_is_unchanged_and_another_is_a_conflict(
    world: World, fixed_clock: FixedClock
) -> None:
    claim = world.filed()
    first = world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=4000, payment_reference="P1")
    assert first.status == 200
    fixed_clock.advance(timedelta(hours=1))
    again = world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=4000, payment_reference="P1")
    assert again.status == 200
    assert again.json == first.json
    assert world.decide(claim["id"], outcome="rejected", reason="non couvert").status == 409
    assert (
        world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=4001, payment_reference="P1").status
        == 409
    )
    assert len(events("claim.decided")) == 1


def test_rejecting_needs_a_reason_and_the_invoice_follows(world: World) -> None:
    claim = world.filed()
    assert field_of(world.decide(claim["id"], outcome="rejected")) == "reason"
    assert field_of(world.decide(claim["id"], outcome="rejected", reason="x", reimbursed_cents=1)) == (
        "reimbursed_cents"
    )
    got = world.decide(claim["id"], outcome="rejected", reason="acte non couvert")
    assert got.status == 200
    assert got.json["decision"]["reimbursed_cents"] == 0
    assert world.invoice_status(claim["invoice_id"]) == "rejected"


def test_reimbursing_more_than_the_insurer_share_is_refused(world: World) -> None:
    claim = world.filed()
    assert field_of(world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=SHARE + 1)) == (
        "reimbursed_cents"
    )
    assert field_of(world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=0)) == "reimbursed_cents"
    assert field_of(world.decide(claim["id"], outcome="maybe")) == "outcome"
    assert world.decide(claim["id"], outcome="reimbursed", reimbursed_cents=SHARE).status == 200


def test_another_insurers_claim_is_not_found(world: World) -> None:
    claim = world.filed()
    other = world.api.insurer("CMFEP")
    assert world.decide(claim["id"], other).status == 404
    assert world.decide("clm_01KAAAAAAAAAAAAAAAAAAAAAAA").status == 404
    assert world.decide("inv_01KAAAAAAAAAAAAAAAAAAAAAAA").status == 404


# Cancelling an invoice that has a claim.


def test_a_decided_invoice_can_no_longer_be_cancelled(world: World) -> None:
    claim = world.filed()
    world.decide(claim["id"])
    got = world.api.post(f"/v1/invoices/{claim['invoice_id']}/cancel", world.doctor, {"reason": "erreur"})
    assert got.status == 409
    assert world.invoice_status(claim["invoice_id"]) == "reimbursed"


def test_cancelling_an_invoice_withdraws_its_pending_claim(world: World, fixed_clock: FixedClock) -> None:
    from chalicelib.services import claims

    claim = world.filed()
    got = world.api.post(f"/v1/invoices/{claim['invoice_id']}/cancel", world.doctor, {"reason": "erreur"})
    assert got.status == 200
    assert got.json["status"] == "cancelled"
    assert world.queue("?status=pending").json["items"] == []
    [withdrawn] = world.queue("?status=withdrawn").json["items"]
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_at"]
    [told] = events("claim.withdrawn")
    assert told.data["claim_id"] == claim["id"] and told.data["status"] == "withdrawn"
    assert world.decide(claim["id"]).status == 409
    assert field_of(world.claim(claim["invoice_id"])) == "invoice_id"
    fixed_clock.advance(timedelta(days=6))
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 0


# The paper channel.


def paper(world: World, qr: str, token: str | None = None) -> Answer:
    return world.api.post("/v1/insurer/claims", token or world.insurer, {"qr": qr, "proof_of_payment": PROOF})


def test_insurer_files_a_paper_claim_from_the_qr_code(world: World) -> None:
    invoice = world.paid_invoice()
    got = paper(world, invoice["qr"])
    assert got.status == 201, got.body
    assert (got.json["channel"], got.json["kind"], got.json["invoice_id"]) == (
        "paper",
        "reimbursement",
        invoice["id"],
    )
    assert paper(world, invoice["qr"]).status == 409
    assert world.claim(invoice["id"]).status == 409


def test_paper_claims_follow_the_invoice_rules(world: World) -> None:
    invoice = world.paid_invoice()
    assert paper(world, invoice["qr"], world.api.insurer("CMFEP")).status == 404
    assert field_of(paper(world, invoice["qr"][:-4] + "AAAA")) == "qr"
    unpaid = world.paid_invoice(payment=None)
    assert field_of(paper(world, unpaid["qr"])) == "qr"


# Direct payment.


def test_direct_payment_files_the_insurers_claim_with_the_invoice(world: World) -> None:
    invoice = world.paid_invoice(direct_payment=True, payment={"method": "card", "amount_cents": 692})
    assert invoice["status"] == "claimed"
    [claim] = world.queue("?status=pending").json["items"]
    assert (claim["kind"], claim["channel"], claim["invoice_id"]) == (
        "direct_payment",
        "practice",
        invoice["id"],
    )
    assert claim["amount_claimed_cents"] == SHARE
    assert claim["proof_of_payment"] is None
    [submitted] = events("claim.submitted")
    assert (submitted.patient, submitted.doctor_code) == (ADULT, "123456-78")
    assert world.claim(invoice["id"]).status == 409

    decided = world.decide(claim["id"], outcome="reimbursed", payment_reference="VIR-2026-77")
    assert decided.status == 200
    settled = world.api.get(f"/v1/invoices/{invoice['id']}", world.doctor).json
    assert settled["status"] == "reimbursed"
    assert settled["claim"] == {
        "id": claim["id"],
        "settled_cents": SHARE,
        "settlement_reference": "VIR-2026-77",
    }
    [event] = events("claim.decided")
    assert (event.patient, event.doctor_code) == (ADULT, "123456-78")


def test_direct_payment_patient_pays_their_share_later(world: World) -> None:
    invoice = world.paid_invoice(direct_payment=True, payment=None)
    paid = world.api.post(
        f"/v1/invoices/{invoice['id']}/payments", world.doctor, {"amount_cents": 692, "method": "cash"}
    )
    assert paid.status == 201, paid.body
    assert (paid.json["status"], paid.json["paid_cents"]) == ("claimed", 692)
    more = world.api.post(
        f"/v1/invoices/{invoice['id']}/payments", world.doctor, {"amount_cents": 1, "method": "cash"}
    )
    assert field_of(more) == "amount_cents"


def test_a_payment_read_before_a_decision_does_not_set_its_status_back(world: World) -> None:
    from chalicelib.domain.invoices import Payment
    from chalicelib.store import invoices as store

    invoice = world.paid_invoice(direct_payment=True, payment=None)
    stale = store.get(invoice["id"])
    assert stale is not None
    [claim] = world.queue("?status=pending").json["items"]
    world.decide(claim["id"])
    payment = Payment(amount_cents=692, method="cash", paid_at=stale.issued_at)
    with pytest.raises(Conflict):
        store.add_payment(stale, payment, "claimed")
    assert world.invoice_status(invoice["id"]) == "reimbursed"


def test_direct_payment_is_not_for_rcam(world: World) -> None:
    world.api.patient(OTHER, insurer="RCAM")
    got = world.api.invoice(world.doctor, OTHER, direct_payment=True, payment=None)
    assert field_of(got) == "direct_payment"
    assert events("claim.submitted") == []


# Overdue claims.


def test_the_sweep_marks_claims_not_decided_within_five_days(
    world: World, fixed_clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.core import observability
    from chalicelib.services import claims

    early = world.filed()
    decided = world.filed()
    world.decide(decided["id"])
    fixed_clock.advance(timedelta(days=1))
    world.patient = world.api.login()
    late = world.filed()

    fixed_clock.advance(timedelta(days=4) - timedelta(seconds=1))
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 0
    fixed_clock.advance(timedelta(seconds=1))
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 1
    observability.flush()  # what the app's middleware does at the end of every invocation
    assert f'"{observability.CLAIMS_OVERDUE}"' in capsys.readouterr().out
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 0

    overdue = world.queue("?overdue=true").json["items"]
    assert [c["id"] for c in overdue] == [early["id"]]
    assert overdue[0]["overdue"] is True
    assert [c["id"] for c in world.queue("?status=pending&overdue=false").json["items"]] == [late["id"]]

    fixed_clock.advance(timedelta(days=1))
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 1
    assert [c["id"] for c in world.queue("?overdue=true").json["items"]] == [early["id"], late["id"]]
    assert world.decide(early["id"]).status == 200
    assert [c["id"] for c in world.queue("?overdue=true").json["items"]] == [late["id"]]
