from datetime import UTC, datetime, timedelta

from chalicelib.domain import appointments

BOOKED_AT = datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_a_reminder_is_owed_when_more_than_a_day_remains() -> None:
    assert appointments.reminder_owed(BOOKED_AT + timedelta(hours=24, minutes=1), BOOKED_AT)


def test_no_reminder_is_owed_for_a_booking_a_day_or_less_ahead() -> None:
    assert not appointments.reminder_owed(BOOKED_AT + timedelta(hours=24), BOOKED_AT)
    assert not appointments.reminder_owed(BOOKED_AT + timedelta(hours=2), BOOKED_AT)
