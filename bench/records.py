"""What a search of the shared care record costs, through the API in-process on moto.

A doctor with a care relationship (an invoice) searches the record of a patient holding 1,000
documents, 20 to a page: AWS calls and median ms per page, over the first pages and with a
filter that few documents match (`type=imaging`: one in ten). Then another patient's record
grows to 10,000 documents and the same pages are measured again: a page reads one partition
within a bounded budget (one Query of at most 200 items), so its calls do not move (ratio 1).
Its time does in moto, whose Query walks every item of the table to find the partition's:
real DynamoDB reads the partition alone. Target: at most 9
calls per page, the same with or without the filter (credential, device, the practice's
standing in three reads, the practice's name, the journal's transaction, the page's query).
Timings include moto, which stands in for AWS: compare them between commits, not with AWS.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import fakeaws

DOCUMENTS = 1_000
CROWD = 10_000
PAGES = 10
OTHER = "1985030400267"
TARGETS = {
    "page_calls": 9.0,
    "filtered_page_calls": 9.0,
    "page_calls_crowded_ratio": 1.0,
}
NOTES = {"page_ms_crowded_ratio": "moto's Query walks the whole table; DynamoDB's does not"}


def _seed(owner: str, count: int) -> None:
    """`count` documents in `owner`'s record, a minute apart, one in ten an imaging report."""
    from chalicelib.core import ids
    from chalicelib.domain.documents import Document
    from chalicelib.store import documents

    start = datetime.now(UTC) - timedelta(days=300)
    with documents.DocumentItem.batch_write() as batch:
        for n in range(count):
            at = start + timedelta(minutes=n)
            document_id = ids.new_id("doc", at)
            batch.save(
                documents.model_of(
                    Document(
                        owner=owner,
                        document_id=document_id,
                        type="imaging" if n % 10 == 0 else "report",
                        title=f"Compte rendu {n}",
                        author="Dr Bench",
                        created_at=at,
                        size_bytes=1000,
                        object_key=f"documents/{document_id}.pdf",
                        content_type="application/pdf",
                        source_id=None,
                        author_code=fakeaws.DOCTOR,
                    )
                )
            )


def _pages(api: fakeaws.Api, doctor: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """Median ms and most AWS calls of a page, over the first PAGES pages; documents seen."""
    timings: list[float] = []
    calls: list[int] = []
    seen = 0
    cursor = None
    for _ in range(PAGES):
        path = "/records/search?limit=20" + (f"&cursor={cursor}" if cursor else "")
        with api.meter.window() as made:
            started = time.perf_counter()
            page = api.post(path, doctor, body)
            timings.append((time.perf_counter() - started) * 1000)
        calls.append(sum(made.calls.values()))
        seen += len(page["items"])
        cursor = page["next_cursor"]
    return statistics.median(timings), float(max(calls)), seen


def run() -> dict[str, float]:
    with fakeaws.api() as api:
        doctor = api.doctor()
        api.patient()
        api.patient(OTHER)
        api.invoice(doctor)
        _seed(fakeaws.PATIENT, DOCUMENTS)
        everything = {"matricule": fakeaws.PATIENT}
        imaging = {"matricule": fakeaws.PATIENT, "type": "imaging"}
        _pages(api, doctor, everything)  # warm-up: lazy imports and clients
        page_ms, page_calls, seen = _pages(api, doctor, everything)
        filtered_ms, filtered_calls, filtered_seen = _pages(api, doctor, imaging)
        _seed(OTHER, CROWD)
        crowded_ms, crowded_calls, _ = _pages(api, doctor, everything)
    return {
        "page_median_ms": page_ms,
        "page_calls": page_calls,
        "documents_in_10_pages": float(seen),
        "filtered_page_median_ms": filtered_ms,
        "filtered_page_calls": filtered_calls,
        "filtered_documents_in_10_pages": float(filtered_seen),
        "page_median_ms_other_holds_10000": crowded_ms,
        "page_calls_crowded_ratio": crowded_calls / page_calls,
        "page_ms_crowded_ratio": crowded_ms / page_ms,
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.records"])
