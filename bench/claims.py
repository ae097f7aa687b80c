"""What an insurer's queue costs, and how fast decisions go through the API.

1. One page of 100 pending claims, read with 100 and with 10,000 claims queued: wall time,
   DynamoDB calls and items DynamoDB read. The claims are seeded with batch writes, not
   through the API. Target: the 10,000 figures at most 1.2 times the 100 figures.
   moto answers a Query on an index by walking every item of the table, which real DynamoDB
   never does (it reads the partition from its first key), so the raw wall time grows with the
   table in moto only. `queue_page_client_ms_*` is the wall time less the time spent inside
   the DynamoDB call (signing, the stand-in, parsing): our code and PynamoDB's item mapping,
   the part that would grow if the design read more than one page. Times are the best of
   9 reads, after one warm-up read. The journal's writes are switched off here: moto copies
   every table a transaction writes, so the entries of earlier reads would weigh on the later
   ones; what the journal adds to a page is in bench.journal.
2. Claims decided per second through the API (chalice's test client, moto in-process), over
   50 claims of paid invoices made through the API beforehand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bench import fakeaws
from bench.awscalls import Meter
from bench.journal import unjournaled

REPEATS = 9
BACKLOGS = (100, 10_000)
DECISIONS = 50
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TARGETS = {
    "queue_page_ms_ratio": 1.2,
    "queue_page_client_ms_ratio": 1.2,
    "queue_page_calls_ratio": 1.2,
    "queue_page_items_read_ratio": 1.2,
}
NOTES = {"queue_page_ms_ratio": "moto walks the whole table on an index Query"}


def _seed(count: int, offset: int) -> None:
    """`count` pending CNS claims, written straight to the table 25 at a time."""
    from chalicelib.core import ids
    from chalicelib.domain.claims import Claim, due_at
    from chalicelib.store import claims

    with claims.ClaimItem.batch_write() as batch:
        for n in range(offset, offset + count):
            at = START + timedelta(seconds=n)
            claim = Claim(
                ids.new_id("clm", at),
                invoice_id=ids.new_id("inv", at),
                kind="reimbursement",
                channel="app",
                status="pending",
                insurer="CNS",
                invoice_number=f"2026-{n + 1:06d}",
                doctor_code=fakeaws.DOCTOR,
                patient_matricule=fakeaws.PATIENT,
                service_date=date(2026, 11, 2),
                total_cents=5770,
                amount_claimed_cents=5078,
                proof=None,
                submitted_at=at,
                due_at=due_at(at),
            )
            batch.save(claims.model_of(claim))


def _page_cost(meter: Meter, read: Callable[[], int]) -> dict[str, float]:
    read()  # warm-up: the client, its endpoint and PynamoDB's attribute maps
    walls: list[float] = []
    clients: list[float] = []
    for _ in range(REPEATS):
        with meter.window() as made:
            start = time.perf_counter()
            assert read() == 100
            wall = time.perf_counter() - start
        walls.append(wall * 1000)
        clients.append((wall - made.seconds) * 1000)
    # The best of the runs: the one least disturbed by whatever else the machine is doing.
    return {
        "ms": min(walls),
        "client_ms": min(clients),
        "calls": made.of("dynamodb"),
        "items_read": made.items_read,
    }


def queue_pages() -> dict[str, float]:
    figures: dict[str, float] = {}
    with fakeaws.aws() as meter:
        from chalicelib.core.clock import SystemClock
        from chalicelib.services import claims
        from chalicelib.services.identity import Principal

        insurer = Principal(role="insurer", scope="bench", insurer="CNS")

        def read() -> int:
            return len(claims.queue(insurer, "pending", None, 100, None, SystemClock()).items)

        seeded = 0
        with unjournaled():
            for backlog in BACKLOGS:
                _seed(backlog - seeded, seeded)
                seeded = backlog
                for name, value in _page_cost(meter, read).items():
                    figures[f"queue_page_{name}_{backlog}"] = value
    small, large = BACKLOGS
    for name in ("ms", "client_ms", "calls", "items_read"):
        figures[f"queue_page_{name}_ratio"] = (
            figures[f"queue_page_{name}_{large}"] / figures[f"queue_page_{name}_{small}"]
        )
    return figures


def decisions_per_second() -> dict[str, float]:
    with fakeaws.api() as api:
        doctor = api.doctor()
        patient = api.patient(opted_in=False)
        paid_at = datetime.now(UTC).isoformat()
        claim_ids = []
        for _ in range(DECISIONS):
            invoice = api.invoice(doctor)
            proof = {"method": "card", "paid_at": paid_at}
            claim_ids.append(
                api.post(
                    "/patient/claims", patient, {"invoice_id": invoice["id"], "proof_of_payment": proof}
                )["id"]
            )
        insurer = api.insurer()
        decision = {"outcome": "reimbursed", "payment_reference": "BENCH"}
        start = time.perf_counter()
        for claim_id in claim_ids:
            api.post(f"/insurer/claims/{claim_id}/decision", insurer, decision)
        elapsed = time.perf_counter() - start
    return {"decisions_per_second": len(claim_ids) / elapsed}


def run() -> dict[str, float]:
    return {**queue_pages(), **decisions_per_second()}


if __name__ == "__main__":
    from bench import table

    table.main(["bench.claims"])
