"""Every page of every list reads a bounded number of items, whatever the filter, and following
`next_cursor` gives every matching item exactly once.

Items read are what DynamoDB's Query answers count in `ScannedCount` (items evaluated before a
filter), summed by botocore hooks on the app's own clients. A filter with an index reads what
the page answers; one without reads at most `store.base.READ_BUDGET` items a page, set small
here so that a handful of items already spans several pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bench.awscalls import CallCounter
from chalicelib.core import ids
from chalicelib.core.clock import FixedClock
from chalicelib.domain.documents import Document
from chalicelib.domain.webhooks import Delivery
from chalicelib.store import base, documents, webhooks
from tests.api.conftest import ADULT, Api
from tests.api.test_invoices import CHILD, issued

BUDGET = 3
PROOF = {"method": "card", "paid_at": "2026-11-20T10:00:00Z"}


@dataclass(frozen=True)
class Cost:
    queries: int
    items_read: int


@dataclass(frozen=True)
class Listing:
    ids: list[str]
    pages: list[list[dict[str, Any]]]
    costs: list[Cost]


@pytest.fixture
def counter(api: Api) -> CallCounter:
    counter = CallCounter()
    counter.attach()
    return counter


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "READ_BUDGET", BUDGET)


def listing(api: Api, counter: CallCounter, path: str, token: str, limit: int, key: str = "id") -> Listing:
    """Every page of a list, with what each page cost."""
    pages: list[list[dict[str, Any]]] = []
    costs: list[Cost] = []
    cursor = None
    while cursor is not None or not pages:
        assert len(pages) < 100, "the cursor never ends"
        joiner = "&" if "?" in path else "?"
        with counter.meter.window() as made:
            got = api.get(f"{path}{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token)
        assert got.status == 200, got.body
        assert len(got.json["items"]) <= limit
        pages.append(got.json["items"])
        costs.append(Cost(made.calls["dynamodb.Query"], made.items_read))
        cursor = got.json["next_cursor"]
    return Listing([item[key] for page in pages for item in page], pages, costs)


def file_claim(api: Api, patient: str, invoice_id: str) -> str:
    got = api.post("/v1/patient/claims", patient, {"invoice_id": invoice_id, "proof_of_payment": PROOF})
    assert got.status == 201, got.body
    return str(got.json["id"])


def every_page_reads_at_most(found: Listing, items: int, lookups: int = 0) -> None:
    """Each page makes one Query of the list, and `lookups` more of one item each: a
    `patient_id` in the query is found on its index again on every page (a cursor carries
    no matricule)."""
    assert all(cost.queries == 1 + lookups for cost in found.costs), found.costs
    assert all(cost.items_read <= items + lookups for cost in found.costs), found.costs


# Invoices: a practice's invoices by status have an index of their own.


@pytest.fixture
def practice(api: Api, fixed_clock: FixedClock) -> str:
    """Nine invoices a minute apart. The adult's: unpaid then paid later, unpaid, paid, paid
    and claimed, paid and reimbursed, paid and cancelled, and unpaid; the child's: paid, and
    unpaid."""
    doctor = api.doctor()
    patient = api.patient()
    api.patient(CHILD)
    insurer = api.insurer()
    made = []
    paid_at_issue = [False, False, True, True, True, True, True, False, False]
    for matricule, paid in zip([ADULT] * 6 + [CHILD, CHILD, ADULT], paid_at_issue, strict=True):
        fields = {} if paid else {"payment": None}
        made.append(issued(api, doctor, matricule, **fields))
        fixed_clock.advance(timedelta(minutes=1))
    file_claim(api, patient, made[3]["id"])
    decided = file_claim(api, patient, made[4]["id"])
    answer = api.post(f"/v1/insurer/claims/{decided}/decision", insurer, {"outcome": "reimbursed"})
    assert answer.status == 200
    assert api.post(f"/v1/invoices/{made[5]['id']}/cancel", doctor, {"reason": "erreur"}).status == 200
    cash = {"amount_cents": 5770, "method": "cash"}
    assert api.post(f"/v1/invoices/{made[0]['id']}/payments", doctor, cash).status == 201
    return doctor


def by_status(api: Api, doctor: str) -> dict[str, list[str]]:
    """Every invoice's id by its status, newest first, from the unfiltered list."""
    found: dict[str, list[str]] = {}
    for page in api.pages("/v1/invoices", doctor, 100):
        for invoice in page:
            found.setdefault(invoice["status"], []).append(invoice["id"])
    return found


def test_the_status_index_follows_every_change_of_status(api: Api, practice: str) -> None:
    expected = by_status(api, practice)
    assert {status: len(found) for status, found in expected.items()} == {
        "issued": 3,
        "paid": 3,
        "claimed": 1,
        "reimbursed": 1,
        "cancelled": 1,
    }
    for status in ("issued", "paid", "claimed", "reimbursed", "rejected", "cancelled"):
        listed = [i for page in api.pages(f"/v1/invoices?status={status}", practice, 100) for i in page]
        assert [i["id"] for i in listed] == expected.get(status, []), status
        assert all(i["status"] == status for i in listed)


@pytest.mark.parametrize("limit", [1, 2])
def test_a_status_page_reads_only_what_it_answers(
    api: Api, practice: str, counter: CallCounter, limit: int
) -> None:
    expected = by_status(api, practice)["paid"]
    found = listing(api, counter, "/v1/invoices?status=paid", practice, limit)
    assert found.ids == expected
    assert all(len(page) == limit for page in found.pages[:-1])
    every_page_reads_at_most(found, limit)


def test_a_status_page_within_dates_reads_only_what_it_answers(
    api: Api, practice: str, counter: CallCounter
) -> None:
    found = listing(api, counter, "/v1/invoices?status=issued&from=2026-11-23&to=2026-11-23", practice, 1)
    assert found.ids == by_status(api, practice)["issued"]
    every_page_reads_at_most(found, 1)
    assert listing(api, counter, "/v1/invoices?status=issued&from=2026-11-24", practice, 1).ids == []


def test_a_cursor_of_one_status_does_not_resume_another(api: Api, practice: str) -> None:
    cursor = api.get("/v1/invoices?status=paid&limit=1", practice).json["next_cursor"]
    assert cursor
    for query in ("status=issued&", "", f"patient_id={api.ids[ADULT]}&status=paid&"):
        got = api.get(f"/v1/invoices?{query}cursor={cursor}", practice)
        assert got.status == 422, query


def test_a_cursor_of_one_period_does_not_resume_another(api: Api, practice: str) -> None:
    """DynamoDB refuses a start key outside the dates the query reads: that is a 422, not a
    failure of the service."""
    cursor = api.get("/v1/invoices?from=2026-11-23&limit=1", practice).json["next_cursor"]
    assert cursor
    assert api.get(f"/v1/invoices?from=2026-11-23&to=2026-11-23&cursor={cursor}", practice).status == 200
    for query in ("to=2026-11-22", "from=2026-11-24", "status=paid&from=2026-11-24"):
        got = api.get(f"/v1/invoices?{query}&cursor={cursor}", practice)
        assert got.status == 422 and got.json["errors"][0]["field"] == "cursor", query


@pytest.mark.usefixtures("small_budget")
@pytest.mark.parametrize("status", ["issued", "paid", "cancelled", "rejected"])
def test_a_patients_invoices_by_status_read_within_the_budget(
    api: Api, practice: str, counter: CallCounter, status: str
) -> None:
    """The adult has seven invoices, so at a budget of three the list takes three pages
    whatever the status: some short or empty, with a cursor to go on."""
    expected = [
        i["id"]
        for page in api.pages(f"/v1/invoices?patient_id={api.ids[ADULT]}", practice, 100)
        for i in page
        if i["status"] == status
    ]
    found = listing(api, counter, f"/v1/invoices?patient_id={api.ids[ADULT]}&status={status}", practice, 2)
    assert found.ids == expected
    assert len(found.ids) == len(set(found.ids))
    every_page_reads_at_most(found, BUDGET, lookups=1)
    assert len(found.pages) >= 3


def test_unfiltered_pages_read_only_what_they_answer(api: Api, practice: str, counter: CallCounter) -> None:
    for path, lookups in [
        ("/v1/invoices", 0),
        (f"/v1/invoices?patient_id={api.ids[ADULT]}", 1),
        ("/v1/invoices?from=2026-11-23", 0),
    ]:
        found = listing(api, counter, path, practice, 2)
        assert len(found.ids) == len(set(found.ids)) > 2
        every_page_reads_at_most(found, 2, lookups)


# The vault: documents by type are read within the budget.


def test_documents_by_type_read_within_the_budget(
    api: Api, counter: CallCounter, fixed_clock: FixedClock, small_budget: None
) -> None:
    patient = api.patient()
    kinds = ["invoice", "report", "report", "lab_result", "invoice", "invoice", "report", "invoice"]
    for kind in kinds:
        now = fixed_clock.now()
        documents.model_of(
            Document(
                owner=ADULT,
                document_id=ids.new_id("doc", now),
                type=kind,
                title=kind,
                author="Dr Anne Weber",
                created_at=now,
                size_bytes=1000,
                object_key="documents/x.pdf",
                content_type="application/pdf",
                source_id=None,
            )
        ).save()
        fixed_clock.advance(timedelta(minutes=1))
    everything = listing(api, counter, "/v1/patient/documents", patient, 100)
    assert len(everything.ids) == len(kinds)
    for kind in ("invoice", "report", "lab_result", "imaging"):
        listed = listing(api, counter, f"/v1/patient/documents?type={kind}", patient, 2)
        assert listed.ids == [d["id"] for d in everything.pages[0] if d["type"] == kind], kind
        every_page_reads_at_most(listed, BUDGET)


# Webhook deliveries by status are read within the budget.


def test_deliveries_by_status_read_within_the_budget(
    api: Api, counter: CallCounter, fixed_clock: FixedClock, small_budget: None
) -> None:
    patient = api.patient()
    made = api.post("/v1/webhooks", patient, {"url": "http://127.0.0.1:9001/hook"})
    assert made.status == 201, made.body
    endpoint = made.json["id"]
    states = ["delivered", "dead", "delivered", "delivered", "pending", "dead", "delivered"]
    for state in states:
        now = fixed_clock.now()
        assert webhooks.add_delivery(
            Delivery(
                endpoint_id=endpoint,
                delivery_id=ids.new_id("dlv", now),
                event_id=ids.new_id("evt", now),
                event_type="invoice.issued",
                created_at=now,
                state=state,
                attempts=1,
                final_attempt=10,
            )
        )
        fixed_clock.advance(timedelta(minutes=1))
    path = f"/v1/webhooks/{endpoint}/deliveries"
    everything = listing(api, counter, path, patient, 100)
    for state in ("delivered", "dead", "pending", "cancelled"):
        listed = listing(api, counter, f"{path}?status={state}", patient, 1)
        assert listed.ids == [d["id"] for d in everything.pages[0] if d["status"] == state], state
        every_page_reads_at_most(listed, BUDGET)


# Claims: every filter of the insurer's queue is an index.


def test_insurer_and_patient_claim_pages_read_only_what_they_answer(
    api: Api, counter: CallCounter, fixed_clock: FixedClock
) -> None:
    from chalicelib.core.time_budget import UNLIMITED
    from chalicelib.services import claims

    doctor = api.doctor()
    patient = api.patient()
    insurer = api.insurer()
    filed = []
    for _ in range(5):
        filed.append(file_claim(api, patient, issued(api, doctor)["id"]))
        fixed_clock.advance(timedelta(hours=1))
    api.post(f"/v1/insurer/claims/{filed[1]}/decision", insurer, {"outcome": "rejected", "reason": "non"})
    fixed_clock.advance(timedelta(days=5) - timedelta(hours=3))
    assert claims.sweep_overdue(fixed_clock, UNLIMITED) == 2
    for query, expected in [
        ("", filed),
        ("?status=pending", [filed[0], *filed[2:]]),
        ("?status=rejected", [filed[1]]),
        ("?overdue=true", [filed[0], filed[2]]),
        ("?status=pending&overdue=false", filed[3:]),
    ]:
        found = listing(api, counter, f"/v1/insurer/claims{query}", insurer, 2)
        assert found.ids == expected, query
        every_page_reads_at_most(found, 2)
    mine = listing(api, counter, "/v1/patient/claims", api.login(), 2)
    assert mine.ids == filed[::-1]
    every_page_reads_at_most(mine, 2)


# The remaining lists are read on a key, and a page reads at most its limit.


def test_device_and_webhook_pages_read_only_what_they_answer(api: Api, counter: CallCounter) -> None:
    doctor = api.doctor()
    for role in ("doctor", "assistant", "assistant"):
        code = api.post("/v1/practice/enrolment-codes", doctor, {"role": role}).json["enrolment_code"]
        api.enrol(code)
    devices = listing(api, counter, "/v1/practice/devices", doctor, 2, key="device_id")
    assert len(devices.ids) == len(set(devices.ids)) == 4
    every_page_reads_at_most(devices, 2)
    for port in (9001, 9002, 9003):
        assert api.post("/v1/webhooks", doctor, {"url": f"http://127.0.0.1:{port}/hook"}).status == 201
    endpoints = listing(api, counter, "/v1/webhooks", doctor, 2)
    assert len(endpoints.ids) == len(set(endpoints.ids)) == 3
    every_page_reads_at_most(endpoints, 2)


def test_appointment_pages_read_only_what_they_answer(api: Api, counter: CallCounter) -> None:
    doctor = api.doctor()
    patient = api.patient()
    hours = {"slot_minutes": 30, "weekly": [{"weekday": 2, "start": "08:00", "end": "10:00"}]}
    assert api.put("/v1/practice/availability", doctor, hours).status == 200
    booked = []
    # Two, the most one patient may book with one doctor.
    for start in ("08:00", "08:30"):
        body = {"doctor_code": "123456-78", "start": f"2026-11-24T{start}:00+01:00"}
        got = api.post("/v1/appointments", patient, body)
        assert got.status == 201, got.body
        booked.append(got.json["id"])
    for path, token in (
        ("/v1/patient/appointments", patient),
        ("/v1/practice/appointments?date=2026-11-24", doctor),
    ):
        found = listing(api, counter, path, token, 1)
        assert sorted(found.ids) == sorted(booked), path
        every_page_reads_at_most(found, 1)
