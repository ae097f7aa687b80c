"""What an insurer's queue costs, and how fast decisions go through the API.

1. One page of 100 pending claims, read with 100 and with 10,000 claims queued: wall time,
   DynamoDB calls and items DynamoDB read. The claims are seeded with batch writes, not
   through the API. Budget: the 10,000 figure at most 1.2 times the 100 figure.
   moto answers a Query on an index by walking every item of the table, which real DynamoDB
   never does (it reads the partition from its first key), so the raw wall time grows with the
   table in moto only. `queue_page_client_ms_*` is the wall time less the time spent inside
   the DynamoDB call (signing, the stand-in, parsing): our code and PynamoDB's item mapping,
   the part that would grow if the design read more than one page. Times are the best of
   REPEATS runs.
2. Claims decided per second through the API (chalice's test client, moto in-process).

`python -m bench.claims` prints the figures; `run()` returns them for `make bench`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

REPEATS = 15
BACKLOGS = (100, 10_000)
DECISIONS = 100
OPERATOR = "bench-operator-token"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _fake_aws() -> None:
    """moto in-process: fake credentials, no endpoint override, and a signing key."""
    os.environ.pop("AWS_ENDPOINT_URL", None)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "DHN_OPERATOR_TOKEN": OPERATOR,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)
    if "DHN_QR_SIGNING_KEY" not in os.environ:
        from chalicelib import qr_keys

        os.environ["DHN_QR_SIGNING_KEY"] = qr_keys.generate_seed()


@dataclass
class Meter:
    """Counts the DynamoDB calls of one client and the time spent inside them."""

    calls: int = 0
    items_read: int = 0
    inside: float = 0.0
    _started: list[float] = field(default_factory=list)

    def before(self, **_: Any) -> None:
        self.calls += 1
        self._started.append(time.perf_counter())

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.inside += time.perf_counter() - self._started.pop()
        self.items_read += int(parsed.get("ScannedCount", 0))


@contextmanager
def metered(model: Any) -> Iterator[Meter]:
    events = model._get_connection().connection.client.meta.events
    meter = Meter()
    events.register("before-call.dynamodb", meter.before)
    events.register("after-call.dynamodb", meter.after)
    try:
        yield meter
    finally:
        events.unregister("before-call.dynamodb", meter.before)
        events.unregister("after-call.dynamodb", meter.after)


def _seed(count: int, offset: int) -> None:
    """`count` pending CNS claims, written straight to the table 25 at a time."""
    from chalicelib import ids
    from chalicelib.store import claims
    from chalicelib.store.invoices import Invoice

    with claims.Claim.batch_write() as batch:
        for n in range(offset, offset + count):
            at = START + timedelta(seconds=n)
            invoice = Invoice(
                ids.new_id("inv", at),
                number=f"2026-{n + 1:06d}",
                insurer="CNS",
                doctor_code="123456-78",
                patient_matricule="1893120105732",
                service_date="2026-11-02",
                total_cents=5770,
                insurer_share_cents=5078,
            )
            batch.save(claims.open_claim(ids.new_id("clm", at), invoice, "reimbursement", "app", None, at))


def _page_cost(read: Callable[[], int]) -> dict[str, float]:
    from chalicelib.store.claims import Claim

    read()  # warm-up: the client, its endpoint and PynamoDB's attribute maps
    walls: list[float] = []
    clients: list[float] = []
    for _ in range(REPEATS):
        with metered(Claim) as meter:
            start = time.perf_counter()
            assert read() == 100
            wall = time.perf_counter() - start
        walls.append(wall * 1000)
        clients.append((wall - meter.inside) * 1000)
    # The best of the runs: the one least disturbed by whatever else the machine is doing.
    return {
        "ms": min(walls),
        "client_ms": min(clients),
        "calls": meter.calls,
        "items_read": meter.items_read,
    }


def queue_pages() -> dict[str, float]:
    from moto import mock_aws

    _fake_aws()
    from chalicelib import claims
    from chalicelib.identity import Principal
    from chalicelib.store import provision

    insurer = Principal(role="insurer", scope="bench", insurer="CNS")

    def read() -> int:
        return len(claims.queue(insurer, "pending", None, 100, None).items)

    figures: dict[str, float] = {}
    with mock_aws():
        provision.create_all()
        seeded = 0
        for backlog in BACKLOGS:
            _seed(backlog - seeded, seeded)
            seeded = backlog
            for name, value in _page_cost(read).items():
                figures[f"queue_page_{name}_{backlog}"] = value
    small, large = BACKLOGS
    for name in ("ms", "client_ms", "calls", "items_read"):
        figures[f"queue_page_{name}_ratio"] = (
            figures[f"queue_page_{name}_{large}"] / figures[f"queue_page_{name}_{small}"]
        )
    return figures


def decisions_per_second() -> dict[str, float]:
    from chalice.test import Client
    from moto import mock_aws

    _fake_aws()
    from chalicelib.store import provision

    with mock_aws():
        provision.create_all()
        from app import app

        with Client(app) as client:

            def post(path: str, token: str, body: Any = None) -> Any:
                answer = client.http.post(
                    f"/v1{path}",
                    headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
                    body=json.dumps(body or {}).encode(),
                )
                assert answer.status_code in (200, 201), answer.body
                return json.loads(answer.body)

            claim_ids = _pending_claims(post)
            insurer = post("/insurers/CNS/tokens", OPERATOR)["token"]
            decision = {"outcome": "reimbursed", "payment_reference": "BENCH"}
            start = time.perf_counter()
            for claim_id in claim_ids:
                post(f"/insurer/claims/{claim_id}/decision", insurer, decision)
            elapsed = time.perf_counter() - start
    return {"decisions_per_second": len(claim_ids) / elapsed}


def _pending_claims(post: Callable[..., Any]) -> list[str]:
    """DECISIONS paid invoices, each with a patient's claim, through the API (not timed)."""
    enrolment = post("/doctors", OPERATOR, {"doctor_code": "123456-78", "name": "Dr Bench"})
    doctor = post("/devices", OPERATOR, {"enrolment_code": enrolment["enrolment_code"], "device_name": "PC"})
    matricule = "1893120105732"
    # Opted out: no PDF goes to the vault, so seeding is quick.
    post(
        "/patients",
        OPERATOR,
        {
            "matricule": matricule,
            "name": "Bench",
            "insurer": "CNS",
            "digital_admin": "opted_out",
            "app_active": True,
        },
    )
    patient = post(f"/patients/{matricule}/tokens", OPERATOR)["token"]
    paid_at = datetime.now(UTC).isoformat()
    today = datetime.now(UTC).date().isoformat()
    claim_ids = []
    for _ in range(DECISIONS):
        invoice = post(
            "/invoices",
            doctor["token"],
            {
                "patient_matricule": matricule,
                "service_date": today,
                "lines": [{"code": "C1"}],
                "payment": {"method": "card", "amount_cents": 5770},
            },
        )
        proof = {"method": "card", "paid_at": paid_at}
        claim_ids.append(
            post("/patient/claims", patient, {"invoice_id": invoice["id"], "proof_of_payment": proof})["id"]
        )
    return claim_ids


def run() -> dict[str, float]:
    return {**queue_pages(), **decisions_per_second()}


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.2f}")
