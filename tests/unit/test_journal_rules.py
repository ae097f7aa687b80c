"""The journal's rules without I/O: when a patient is told, what the event says, the id range
of a span of time, and how a page of entries is cut into transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import ids
from chalicelib.domain import journal
from chalicelib.domain.journal import Actor, Entry, ObjectRef
from chalicelib.services.journal import MAX_ITEMS, _chunks

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PARENT = Actor("relative", None, "Marie Schmit", "relative:1893120105732")


def entry(action: journal.Action = "relative.read", patient: str = "2015061200178", **kw: bool) -> Entry:
    return Entry(ids.new_id("acc", AT), patient, AT, PARENT, action, ObjectRef("document", "doc_1"), **kw)


def test_a_notice_covers_the_next_30_days() -> None:
    notice = journal.notice(entry())
    assert (notice.patient, notice.actor_ref) == ("2015061200178", "relative:1893120105732")
    assert notice.until == AT + timedelta(days=30)


@pytest.mark.parametrize("action", ["operator.update", "operator.token"])
def test_a_notice_decides_only_for_reads_that_are_not_emergencies(action: journal.Action) -> None:
    assert not journal.decided_by_notice(entry(action))
    assert not journal.decided_by_notice(entry("record.search", emergency=True))
    assert journal.decided_by_notice(entry("status.lookup"))


def test_record_accessed_goes_to_the_patient_and_names_no_matricule() -> None:
    made = entry()
    event = journal.accessed(made, "evt_1")
    assert (event.type, event.patient, event.doctor_code, event.occurred_at) == (
        "record.accessed",
        "2015061200178",
        None,
        AT,
    )
    assert event.data == {
        "access_id": made.access_id,
        "at": "2026-11-23T09:30:00.000Z",
        "actor": {"kind": "relative", "id": None, "name": "Marie Schmit"},
        "action": "relative.read",
        "object": {"type": "document", "id": "doc_1"},
        "emergency": False,
    }
    assert "2015061200178" not in str(event.data) and "1893120105732" not in str(event.data)


def test_the_id_range_of_a_span_holds_exactly_its_ids() -> None:
    since, before = AT, AT + timedelta(days=1)
    low, high = ids.id_range("acc", since, before)
    inside = [
        ids.new_id("acc", at)
        for at in (since, since + timedelta(hours=5), before - timedelta(milliseconds=1))
    ]
    outside = [ids.new_id("acc", at) for at in (since - timedelta(milliseconds=1), before)]
    assert all(low <= made <= high for made in inside)
    assert not any(low <= made <= high for made in outside)


@pytest.mark.parametrize("patients", [1, 7, 60, 100])
def test_a_page_is_cut_into_transactions_dynamodb_accepts(patients: int) -> None:
    entries = [entry(patient=f"p{n % patients}") for n in range(200)]
    chunks = _chunks(entries)
    assert [e for chunk in chunks for e in chunk] == entries
    assert all(chunk for chunk in chunks)
    assert all(len(chunk) + 2 * len({e.patient for e in chunk}) <= MAX_ITEMS for chunk in chunks)
