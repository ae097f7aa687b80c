"""How instants are written in answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from chalicelib.domain.calendar import rfc3339, rfc3339_or_none


def test_instants_are_written_in_utc_with_milliseconds() -> None:
    at = datetime(2026, 11, 23, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339(at) == "2026-11-23T09:30:00.123Z"


def test_an_absent_instant_stays_absent() -> None:
    assert rfc3339_or_none(None) is None
    assert rfc3339_or_none(datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) == "2026-11-23T09:30:00.000Z"
