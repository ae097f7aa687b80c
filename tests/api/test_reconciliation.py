"""The practice's reconciliation, JSON and CSV, under moto."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from bench.awscalls import CallCounter
from chalicelib.core import config
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Conflict
from tests.api.conftest import ADULT, DOCTOR_CODE, Api

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


# Pages, totals and their cost.


def _rows(api: Api, token: str, period: str, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, int]]]:
    """Every row of the period by following the cursor, and the totals each page carried."""
    rows: list[dict[str, Any]] = []
    totals: list[dict[str, int]] = []
    cursor = None
    while cursor is not None or not totals:
        assert len(totals) < 50, "the cursor never ends"
        query = f"{period}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        got = api.get(f"/v1/practice/reconciliation?{query}", token)
        assert got.status == 200, got.body
        assert len(got.json["items"]) <= limit
        rows += got.json["items"]
        totals.append(got.json["totals"])
        cursor = got.json["next_cursor"]
    return rows, totals


def _sum(rows: list[dict[str, Any]]) -> dict[str, int]:
    columns = ("total_cents", "patient_paid_cents", "insurer_expected_cents", "insurer_settled_cents")
    return {column: sum(row[column] for row in rows) for column in (*columns, "outstanding_cents")}


def _busy_practice(api: Api, fixed_clock: FixedClock) -> str:
    """Two days of invoices that go every way an amount can move: paid at issue and later, in
    part and in full; claimed and reimbursed, or rejected; with direct payment settled in part,
    in full or rejected; cancelled with and without a pending claim."""
    doctor, _ = _setup(api)
    insurer = api.insurer()
    fixed_clock.advance(timedelta(days=1))
    patient = api.login()
    later = api.invoice(doctor, payment=None).json
    for amount in (1000, 4770):
        paid = api.post(
            f"/v1/invoices/{later['id']}/payments", doctor, {"amount_cents": amount, "method": "cash"}
        )
        assert paid.status == 201, paid.body
    claim = api.post("/v1/patient/claims", patient, {"invoice_id": later["id"], "proof_of_payment": PROOF})
    rejected = api.post(
        f"/v1/insurer/claims/{claim.json['id']}/decision", insurer, {"outcome": "rejected", "reason": "non"}
    )
    assert rejected.status == 200, rejected.body
    withdrawn = api.invoice(doctor).json
    claimed = api.post(
        "/v1/patient/claims", patient, {"invoice_id": withdrawn["id"], "proof_of_payment": PROOF}
    )
    assert claimed.status == 201, claimed.body
    assert api.post(f"/v1/invoices/{withdrawn['id']}/cancel", doctor, {"reason": "doublon"}).status == 200
    for decision in ({"outcome": "reimbursed"}, {"outcome": "rejected", "reason": "non"}, None):
        direct = api.invoice(doctor, direct_payment=True, payment=None).json
        paid = api.post(
            f"/v1/invoices/{direct['id']}/payments", doctor, {"amount_cents": 600, "method": "card"}
        )
        assert paid.status == 201, paid.body
        if decision:
            got = api.post(f"/v1/insurer/claims/{direct['claim']['id']}/decision", insurer, decision)
            assert got.status == 200, got.body
    return doctor


def test_totals_are_the_sum_of_the_rows_on_every_page_whatever_the_limit(
    api: Api, fixed_clock: FixedClock
) -> None:
    doctor = _busy_practice(api, fixed_clock)
    for period in (PERIOD, "from=2026-11-24&to=2026-11-24", "from=2026-11-01&to=2026-11-30"):
        everything, [totals] = _rows(api, doctor, period, 100)
        assert totals == _sum(everything), period
        for limit in (1, 2, 5):
            rows, every_page = _rows(api, doctor, period, limit)
            assert rows == everything, (period, limit)
            assert all(page == totals for page in every_page), (period, limit)
    assert len(_rows(api, doctor, "from=2026-11-01&to=2026-11-30", 100)[0]) == 8
    assert _rows(api, doctor, "from=2026-11-25&to=2026-11-30", 100)[1] == [dict.fromkeys(totals, 0)]


def test_a_page_reads_its_rows_and_the_days_of_the_period(api: Api, fixed_clock: FixedClock) -> None:
    doctor = _busy_practice(api, fixed_clock)
    counter = CallCounter()
    counter.attach()
    with counter.meter.window() as made:
        got = api.get("/v1/practice/reconciliation?from=2025-12-01&to=2026-11-30&limit=3", doctor)
    assert got.status == 200 and len(got.json["items"]) == 3 and got.json["next_cursor"]
    assert made.calls["dynamodb.Query"] == 2
    # Three rows, and the two days that have invoices.
    assert made.items_read == 3 + 2


def test_a_cursor_resumes_only_the_practices_own_rows_of_the_period(api: Api) -> None:
    doctor, _ = _setup(api)
    other = api.doctor("654321-09", "Dr Paul Klein")
    cursor = api.get(f"/v1/practice/reconciliation?{PERIOD}&limit=1", doctor).json["next_cursor"]
    assert cursor
    # DynamoDB refuses a start key outside the dates the query reads: a 422, not a failure.
    for token, period in [(other, PERIOD), (doctor, "from=2026-11-24&to=2026-11-30")]:
        got = api.get(f"/v1/practice/reconciliation?{period}&cursor={cursor}", token)
        assert got.status == 422 and got.json["errors"][0]["field"] == "cursor"


# The CSV of a long period goes to the vault.


def test_a_large_csv_is_a_303_to_an_export_that_expires(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.api import reconciliation

    doctor, _ = _setup(api)
    inline = api.get(f"/v1/practice/reconciliation?{PERIOD}&format=csv", doctor)
    assert inline.status == 200
    monkeypatch.setattr(reconciliation, "INLINE_CSV_BYTES", len(inline.body) - 1)
    got = api.get(f"/v1/practice/reconciliation?{PERIOD}&format=csv", doctor)
    assert got.status == 303, got.body
    url = got.headers["location"]
    assert got.json == {"download_url": url, "download_expires_in": 300}
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert "reconciliation-2026-11-23-2026-11-23.csv" in query["response-content-disposition"][0]
    s3 = boto3.client("s3")
    [key] = [
        o["Key"] for o in s3.list_objects_v2(Bucket=config.vault_bucket(), Prefix="exports/")["Contents"]
    ]
    assert urlsplit(url).path.endswith(key)
    assert DOCTOR_CODE not in key and ADULT not in key
    export = s3.get_object(Bucket=config.vault_bucket(), Key=key)
    assert export["ServerSideEncryption"] == "aws:kms"
    assert export["ContentType"].startswith("text/csv")
    assert export["Body"].read() == inline.body


def test_totals_stay_exact_when_changes_race(api: Api, fixed_clock: FixedClock) -> None:
    """A cancellation read before a payment is refused (it would take off what was outstanding
    before the payment); a decision read before one is not, and needs not be."""
    from chalicelib.core import ids
    from chalicelib.domain import claims as rules
    from chalicelib.store import claim_ledger, claims, invoices

    doctor = api.doctor()
    api.patient()
    plain = api.invoice(doctor, payment=None).json
    direct = api.invoice(doctor, direct_payment=True, payment=None).json
    stale_plain, stale_direct = invoices.get(plain["id"]), invoices.get(direct["id"])
    assert stale_plain is not None and stale_direct is not None
    for invoice in (plain, direct):
        paid = api.post(
            f"/v1/invoices/{invoice['id']}/payments", doctor, {"amount_cents": 500, "method": "cash"}
        )
        assert paid.status == 201, paid.body
    with pytest.raises(Conflict):
        invoices.cancel(stale_plain, "erreur", fixed_clock.now(), ("issued", "paid"))
    claim = claims.get(direct["claim"]["id"])
    assert claim is not None
    told = rules.event(claim, "claim.withdrawn", ids.new_id("evt", fixed_clock.now()), fixed_clock.now())
    assert claim_ledger.withdraw(stale_direct, "erreur", fixed_clock.now(), told) is None
    decided = rules.decided(claim, rules.Decision("reimbursed", 3000, None, "VIR-1"), fixed_clock.now())
    event = rules.event(decided, "claim.decided", ids.new_id("evt", fixed_clock.now()), fixed_clock.now())
    assert claim_ledger.decide(decided, stale_direct, event)
    rows, [totals] = _rows(api, doctor, PERIOD, 100)
    assert totals == _sum(rows)
    assert [row["outstanding_cents"] for row in rows] == [5770 - 500, 5770 - 500 - 3000]
