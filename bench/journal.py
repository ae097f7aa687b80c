"""What the access journal costs, through the API in-process on moto.

1. Issuance with the journal in place (issuance itself is not journaled): AWS calls per
   invoice and latency over 100 invoices. Target: at most 7 calls.
2. A practice reading an invoice (`GET /invoices/{id}`), journaled and, for comparison, with
   the journal's writes switched off: AWS calls per read and median ms over 100 reads. A read
   by a practice seen within 30 days adds one transaction (the entry and the check of the
   patient's notice); its first read of a patient in 30 days adds two (the check that fails,
   then the entry with the notice and `record.accessed`), measured over 30 patients.
3. An insurer's queue page of those 30 patients' claims (`GET /insurer/claims`), journaled for
   each patient: one BatchGetItem of their notices and one transaction, on the first read of
   the page as on the next; and the page with the journal's writes switched off.
Timings include moto, which stands in for AWS: compare them between commits, not with AWS.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench import fakeaws

ITERATIONS = 100
PATIENTS = 30
TARGETS = {
    "aws_calls_per_issuance": 7.0,
    "invoice_read_added_calls": 1.0,
    "invoice_first_read_added_calls": 2.0,
    "queue_page_added_calls": 2.0,
    "queue_page_first_added_calls": 2.0,
}


def _timed(api: fakeaws.Api, action: Callable[[], Any], times: int) -> tuple[float, float]:
    """Median ms and the most AWS calls of `times` runs of `action`."""
    timings: list[float] = []
    calls: list[int] = []
    for _ in range(times):
        with api.meter.window() as made:
            started = time.perf_counter()
            action()
            timings.append((time.perf_counter() - started) * 1000)
        calls.append(sum(made.calls.values()))
    return statistics.median(timings), float(max(calls))


@contextmanager
def unjournaled() -> Iterator[None]:
    """The journal's writes switched off: what the same request costs without them."""
    from unittest import mock

    from chalicelib.services import journal

    with mock.patch.object(journal, "record_all"):
        yield


def run() -> dict[str, float]:
    with fakeaws.api() as api:
        doctor = api.doctor()
        api.patient()
        api.invoice(doctor, key=str(uuid.uuid4()))  # warm-up: lazy imports and clients
        issuance_ms, issuance_calls = _timed(
            api, lambda: api.invoice(doctor, key=str(uuid.uuid4())), ITERATIONS
        )

        invoice = api.invoice(doctor)["id"]
        api.get(f"/invoices/{invoice}", doctor)  # the practice's first read of this patient

        def read() -> Any:
            return api.get(f"/invoices/{invoice}", doctor)

        journaled_ms, journaled_calls = _timed(api, read, ITERATIONS)
        with unjournaled():
            bare_ms, bare_calls = _timed(api, read, ITERATIONS)

        firsts = []
        patients = []
        for matricule in fakeaws.matricules(PATIENTS):
            patients.append(api.patient(matricule))
            firsts.append(api.invoice(doctor, matricule)["id"])
        first_calls = []
        for invoice_id in firsts:
            with api.meter.window() as made:
                api.get(f"/invoices/{invoice_id}", doctor)
            first_calls.append(sum(made.calls.values()))

        proof = {"method": "card", "paid_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        for token, invoice_id in zip(patients, firsts, strict=True):
            api.post("/patient/claims", token, {"invoice_id": invoice_id, "proof_of_payment": proof})
        insurer = api.insurer()

        def page() -> Any:
            return api.get("/insurer/claims?limit=100", insurer)

        _, page_first_calls = _timed(api, page, 1)
        page_ms, page_calls = _timed(api, page, 10)
        with unjournaled():
            page_bare_ms, page_bare_calls = _timed(api, page, 10)
    return {
        "issuance_median_ms": issuance_ms,
        "aws_calls_per_issuance": issuance_calls,
        "invoice_read_median_ms": journaled_ms,
        "invoice_read_unjournaled_median_ms": bare_ms,
        "invoice_read_calls": journaled_calls,
        "invoice_read_unjournaled_calls": bare_calls,
        "invoice_read_added_calls": journaled_calls - bare_calls,
        "invoice_first_read_added_calls": max(first_calls) - bare_calls,
        "queue_page_median_ms": page_ms,
        "queue_page_unjournaled_median_ms": page_bare_ms,
        "queue_page_added_calls": page_calls - page_bare_calls,
        "queue_page_first_added_calls": page_first_calls - page_bare_calls,
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.journal"])
