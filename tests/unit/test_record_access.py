"""The access matrix of the shared care record, as one table: where a practice stands toward
the record × the document's situation → whether the practice sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.documents import Document
from chalicelib.domain.record_access import (
    Emergency,
    Grant,
    Sheet,
    Standing,
    grant_works,
    may_search,
    sheet_of,
    through_emergency,
    visible,
    window_open,
)

CARE = Standing(care=True)
GRANTED = Standing(granted=True)
NOTHING = Standing()
EMERGENCY = Standing(emergency=True)
ASSISTANT_IN_EMERGENCY = Standing(doctor=False, emergency=True)

NORMAL = Sheet()
RESTRICTED = Sheet(confidentiality="restricted")
HIDDEN = Sheet(hidden=True)
HIDDEN_RESTRICTED = Sheet(confidentiality="restricted", hidden=True)
OWN = Sheet(authored=True)
OWN_HIDDEN_RESTRICTED = Sheet(confidentiality="restricted", hidden=True, authored=True)
PENDING = Sheet(authored=True, available=False)

# (why, standing, sheet, visible)
MATRIX = [
    ("a care relationship reads normal documents", CARE, NORMAL, True),
    ("a grant reads normal documents", GRANTED, NORMAL, True),
    ("no right reads nothing", NOTHING, NORMAL, False),
    ("restricted needs a grant, care is not enough", CARE, RESTRICTED, False),
    ("restricted with a grant", GRANTED, RESTRICTED, True),
    ("restricted with care and a grant", Standing(care=True, granted=True), RESTRICTED, True),
    ("hidden from care", CARE, HIDDEN, False),
    ("hidden from a grant", GRANTED, HIDDEN, False),
    ("hidden and restricted from a grant", GRANTED, HIDDEN_RESTRICTED, False),
    ("the author reads its own without any right", NOTHING, OWN, True),
    ("the author reads its own hidden restricted one", NOTHING, OWN_HIDDEN_RESTRICTED, True),
    ("block beats care", Standing(care=True, blocked=True), NORMAL, False),
    ("block beats a grant", Standing(granted=True, blocked=True), RESTRICTED, False),
    ("block beats authorship", Standing(blocked=True), OWN, False),
    ("block beats an emergency", Standing(emergency=True, blocked=True), NORMAL, False),
    ("closed: no care", Standing(care=True, closed=True), NORMAL, False),
    ("closed: no grant", Standing(granted=True, closed=True), NORMAL, False),
    ("closed: not even the author", Standing(closed=True), OWN, False),
    ("closed: no emergency", Standing(emergency=True, closed=True), NORMAL, False),
    ("emergency opens normal documents", EMERGENCY, NORMAL, True),
    ("emergency never opens restricted ones", EMERGENCY, RESTRICTED, False),
    ("emergency never opens hidden ones", EMERGENCY, HIDDEN, False),
    ("emergency is for doctors only", ASSISTANT_IN_EMERGENCY, NORMAL, False),
    ("an assistant reads with care", Standing(doctor=False, care=True), NORMAL, True),
    ("an upload not completed is no one's to read", CARE, PENDING, False),
    ("not even with a grant", GRANTED, Sheet(available=False), False),
]


@pytest.mark.parametrize(("why", "standing", "sheet", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_the_matrix(why: str, standing: Standing, sheet: Sheet, expected: bool) -> None:
    assert visible(standing, sheet) is expected, why


SEARCH = [
    ("care", CARE, True),
    ("a grant", GRANTED, True),
    ("a doctor's emergency", EMERGENCY, True),
    ("an assistant's emergency window is no right", ASSISTANT_IN_EMERGENCY, False),
    ("nothing", NOTHING, False),
    ("blocked despite care and a grant", Standing(care=True, granted=True, blocked=True), False),
    ("closed despite care and a grant", Standing(care=True, granted=True, closed=True), False),
    ("closed despite an emergency", Standing(emergency=True, closed=True), False),
]


@pytest.mark.parametrize(("why", "standing", "expected"), SEARCH, ids=[row[0] for row in SEARCH])
def test_who_may_search_at_all(why: str, standing: Standing, expected: bool) -> None:
    assert may_search(standing) is expected, why


def test_a_read_is_an_emergency_only_where_the_window_alone_opens_it() -> None:
    assert through_emergency(EMERGENCY, NORMAL)
    assert not through_emergency(Standing(care=True, emergency=True), NORMAL)
    assert not through_emergency(Standing(emergency=True), OWN)
    assert not through_emergency(EMERGENCY, RESTRICTED)
    assert not through_emergency(CARE, NORMAL)


def test_a_grant_works_to_the_end_of_its_last_day() -> None:
    today = date(2026, 11, 23)
    assert grant_works(Grant("123456-78", "Dr", None), today)
    assert grant_works(Grant("123456-78", "Dr", today), today)
    assert not grant_works(Grant("123456-78", "Dr", today - timedelta(days=1)), today)
    assert not grant_works(None, today)


def test_an_emergency_window_closes_at_its_end() -> None:
    opened = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    window = Emergency("123456-78", opened, opened + timedelta(hours=24), "unconscious at the door")
    assert window_open(window, opened + timedelta(hours=23, minutes=59))
    assert not window_open(window, opened + timedelta(hours=24))
    assert not window_open(None, opened)


def test_a_documents_sheet_names_its_author_by_doctor_code() -> None:
    document = Document(
        owner="1893120105732",
        document_id="doc_01M83VVAE0J6TC7MHS3KXVYQ8Y",
        type="report",
        title="Compte rendu",
        author="Dr Anne Weber",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
        size_bytes=10,
        object_key="documents/doc_01M83VVAE0J6TC7MHS3KXVYQ8Y.pdf",
        content_type="application/pdf",
        source_id=None,
        author_code="123456-78",
        confidentiality="restricted",
        hidden=True,
    )
    assert sheet_of(document, "123456-78") == Sheet("restricted", hidden=True, authored=True, available=True)
    assert sheet_of(document, "654321-09").authored is False
    assert (
        sheet_of(Document(**{**document.__dict__, "status": "pending_upload"}), "123456-78").available
        is False
    )
