"""The record a creating request's transaction puts for its key, and how long it answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import idempotency
from chalicelib.domain.idempotency import KEPT, Made, Once

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
ONCE = Once("made#3f2a", "fingerprint", AT)


def test_a_request_without_a_key_records_nothing() -> None:
    assert idempotency.made(None, "inv_1") is None


def test_the_record_names_the_object_made_and_lasts_24_hours() -> None:
    record = idempotency.made(ONCE, "inv_1")
    assert record == Made("made#3f2a", "fingerprint", "inv_1", AT + timedelta(hours=24))
    assert timedelta(hours=24) == KEPT
    assert record.since == AT


@pytest.mark.parametrize(
    ("later", "answers"),
    [
        (timedelta(0), True),
        (timedelta(hours=23, minutes=59), True),
        # DynamoDB deletes expired items up to days late: the record's own time decides.
        (timedelta(hours=24), False),
        (timedelta(days=3), False),
    ],
)
def test_a_record_answers_for_its_24_hours_only(later: timedelta, answers: bool) -> None:
    record = idempotency.made(ONCE, "inv_1")
    assert (idempotency.answers(record, AT + later) == record) is answers
    assert idempotency.answers(None, AT) is None
