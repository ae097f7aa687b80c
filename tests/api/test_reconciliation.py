"""The practice's reconciliation, JSON and CSV, under moto."""

from __future__ import annotations

import csv
import io

from chalicelib.core.clock import FixedClock
from tests.api.conftest import Api

PROOF = {"method": "card", "paid_at": "2026-11-20T10:00:00Z"}
PERIOD = "from=2026-11-23&to=2026-11-23"


def _setup(api: Api) -> tuple[str, dict[str, str]]:
    """Three invoices: one reimbursed to the patient, one paid directly by the insurer, one
    cancelled; their numbers by role."""
    doctor = api.doctor()
    patient = api.patient()
    insurer = api.insurer()
    plain = api.invoice(doctor).json
    claim = api.post(
        "/v1/patient/claims", patient, {"invoice_id": plain["id"], "proof_of_payment": PROOF}
    ).json
    api.post(f"/v1/insurer/claims/{claim['id']}/decision", insurer, {"outcome": "reimbursed"})
    direct = api.invoice(doctor, direct_payment=True, payment={"method": "card", "amount_cents": 692}).json
    [pending] = api.get("/v1/insurer/claims?status=pending", insurer).json["items"]
    api.post(
        f"/v1/insurer/claims/{pending['id']}/decision",
        insurer,
        {"outcome": "reimbursed", "reimbursed_cents": 5000, "payment_reference": "VIR-77"},
    )
    cancelled = api.invoice(doctor, payment=None).json
    api.post(f"/v1/invoices/{cancelled['id']}/cancel", doctor, {"reason": "erreur"})
    return doctor, {"plain": plain["number"], "direct": direct["number"], "cancelled": cancelled["number"]}


def test_reconciliation_has_one_row_per_invoice(api: Api) -> None:
    doctor, numbers = _setup(api)
    got = api.get(f"/v1/practice/reconciliation?{PERIOD}", doctor)
    assert got.status == 200, got.body
    rows = {row["number"]: row for row in got.json["items"]}
    assert list(rows) == [numbers["plain"], numbers["direct"], numbers["cancelled"]]
    plain = rows[numbers["plain"]]
    assert (plain["status"], plain["total_cents"], plain["patient_paid_cents"]) == ("reimbursed", 5770, 5770)
    assert (plain["insurer_expected_cents"], plain["insurer_settled_cents"], plain["outstanding_cents"]) == (
        0,
        0,
        0,
    )
    direct = rows[numbers["direct"]]
    assert direct["issued_on"] == "2026-11-23" and direct["direct_payment"] is True
    assert direct["patient_paid_cents"] == 692
    assert (direct["insurer_expected_cents"], direct["insurer_settled_cents"]) == (5078, 5000)
    assert direct["settlement_reference"] == "VIR-77"
    assert direct["outstanding_cents"] == 78
    cancelled = rows[numbers["cancelled"]]
    assert (cancelled["status"], cancelled["outstanding_cents"]) == ("cancelled", 0)
    assert got.json["totals"]["outstanding_cents"] == 78
    assert got.json["totals"]["total_cents"] == 3 * 5770


def test_reconciliation_as_csv(api: Api) -> None:
    doctor, numbers = _setup(api)
    got = api.get(f"/v1/practice/reconciliation?{PERIOD}&format=csv", doctor)
    assert got.status == 200
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.body.decode())))
    assert [r["number"] for r in rows] == list(numbers.values())
    direct = rows[1]
    assert (direct["direct_payment"], direct["insurer_settled_cents"], direct["settlement_reference"]) == (
        "true",
        "5000",
        "VIR-77",
    )
    assert rows[0]["settlement_reference"] == ""
    assert got.body.decode().splitlines()[0].startswith("invoice_id,number,issued_on")


def test_reconciliation_period_is_inclusive_and_bounded(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    api.patient()
    api.invoice(doctor)
    assert api.get("/v1/practice/reconciliation?from=2026-11-24&to=2026-11-30", doctor).json["items"] == []
    assert (
        len(api.get("/v1/practice/reconciliation?from=2026-11-01&to=2026-11-23", doctor).json["items"]) == 1
    )
    for query, field in [
        ("to=2026-11-23", "from"),
        ("from=2026-11-23&to=2026-11-01", "to"),
        ("from=2025-01-01&to=2026-11-23", "to"),
        (f"{PERIOD}&format=xml", "format"),
    ]:
        got = api.get(f"/v1/practice/reconciliation?{query}", doctor)
        assert got.status == 422, query
        assert got.json["errors"][0]["field"] == field


def test_reconciliation_is_for_the_doctor(api: Api) -> None:
    doctor = api.doctor()
    code = api.post("/v1/practice/enrolment-codes", doctor, {"role": "assistant"}).json["enrolment_code"]
    assistant = api.enrol(code)
    assert api.get(f"/v1/practice/reconciliation?{PERIOD}", assistant).status == 403
    assert api.get(f"/v1/practice/reconciliation?{PERIOD}", api.patient()).status == 403
    other = api.doctor("654321-09", "Dr Paul Klein")
    api.invoice(doctor)
    assert api.get(f"/v1/practice/reconciliation?{PERIOD}", other).json["items"] == []


def test_csv_text_never_runs_as_a_formula(api: Api) -> None:
    doctor = api.doctor()
    insurer = api.insurer()
    api.patient()
    api.invoice(doctor, direct_payment=True, payment={"method": "card", "amount_cents": 692})
    [pending] = api.get("/v1/insurer/claims?status=pending", insurer).json["items"]
    reference = '=HYPERLINK("http://example.invalid","x")'
    decided = api.post(
        f"/v1/insurer/claims/{pending['id']}/decision",
        insurer,
        {"outcome": "reimbursed", "payment_reference": reference},
    )
    assert decided.status == 200, decided.body
    got = api.get(f"/v1/practice/reconciliation?{PERIOD}&format=csv", doctor)
    [row] = list(csv.DictReader(io.StringIO(got.body.decode())))
    assert row["settlement_reference"] == "'" + reference
