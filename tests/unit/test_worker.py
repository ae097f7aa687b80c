from chalice.app import CloudWatchEvent

from local import worker


def test_the_worker_sends_schedules_a_complete_event() -> None:
    event = CloudWatchEvent(worker._scheduled_event("reminders"), None)
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"
