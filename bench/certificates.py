"""Certificates of incapacity for work through the API, in-process on moto.

1. Issuance (with an Idempotency-Key): AWS calls per certificate (the most of any) and the
   median and p95 latency over 50 certificates, after one warm-up issuance that pays for the
   lazy imports (fpdf2, the font, cwt). Each issuance draws the patient's sheet for the
   record and signs its token. Target: at most 8 AWS calls (the idempotency record's two,
   the practice and the patient, the sheet's object, the transaction, the journal's none).
2. One page of the insurer's queue (`?status=issued&late=false`, 20 a page) once every
   cancel window closed, the clock moved past them: AWS calls per page and median latency.
   The page's journal entries are written as in production. Target: at most 4 calls (the
   Query, the journal's notice reads and its one transaction).
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bench import fakeaws

if TYPE_CHECKING:
    from chalicelib.core.clock import FixedClock

ISSUED = 50
PAGE = 20
TARGETS = {"aws_calls_per_issuance": 8.0, "aws_calls_per_insurer_page": 4.0}
START = datetime.now(UTC)


def run() -> dict[str, float]:
    from chalicelib.core import clock
    from chalicelib.core.clock import FixedClock

    moved = FixedClock(START)
    previous = clock.current()
    clock.use(moved)
    try:
        return _measure(moved)
    finally:
        clock.use(previous)


def _measure(moved: FixedClock) -> dict[str, float]:
    body = {
        "patient_matricule": fakeaws.PATIENT,
        "kind": "initial",
        "start": START.date().isoformat(),
        "end": (START.date() + timedelta(days=4)).isoformat(),
        "diagnosis_code": "J06.9",
        "outings_allowed": True,
        "accident": False,
    }
    issue_ms: list[float] = []
    issue_calls: list[int] = []
    page_ms: list[float] = []
    page_calls: list[int] = []
    with fakeaws.api() as api:
        doctor = api.doctor()
        api.patient()
        insurer = api.insurer()
        api.post("/certificates", doctor, body, str(uuid.uuid4()))
        for _ in range(ISSUED):
            moved.advance(timedelta(seconds=1))
            with api.meter.window() as made:
                started = time.perf_counter()
                api.post("/certificates", doctor, body, str(uuid.uuid4()))
                issue_ms.append((time.perf_counter() - started) * 1000)
            issue_calls.append(sum(made.calls.values()))
        moved.advance(timedelta(hours=2))
        cursor = ""
        while True:
            with api.meter.window() as made:
                started = time.perf_counter()
                page = api.get(
                    f"/insurer/certificates?status=issued&late=false&limit={PAGE}{cursor}", insurer
                )
                page_ms.append((time.perf_counter() - started) * 1000)
            page_calls.append(sum(made.calls.values()))
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
    return {
        "issuance_median_ms": statistics.median(issue_ms),
        "issuance_p95_ms": statistics.quantiles(issue_ms, n=20)[-1],
        "aws_calls_per_issuance": max(issue_calls),
        "insurer_page_median_ms": statistics.median(page_ms),
        "aws_calls_per_insurer_page": max(page_calls),
        "insurer_pages": len(page_calls),
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.certificates"])
