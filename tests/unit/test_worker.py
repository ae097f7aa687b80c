import json
from datetime import UTC, datetime
from typing import Any

from chalice.app import CloudWatchEvent, DynamoDBEvent

from local import worker


def test_the_worker_sends_schedules_a_complete_event() -> None:
    event = CloudWatchEvent(worker._scheduled_event("reminders"), None)
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"


def test_the_worker_hands_stream_records_over_as_lambda_does() -> None:
    """As moto's (and boto3's) GetRecords gives them, then as a handler receives them."""
    read: dict[str, Any] = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-central-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
            "Keys": {"event_id": {"S": "evt_1"}},
            "NewImage": {"event_id": {"S": "evt_1"}, "pending": {"S": "pending"}},
            "SequenceNumber": "100",
            "SizeBytes": 50,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/dhn-test-outbox/stream/2026-11-23T09:00:00.000"
    (record,) = DynamoDBEvent(worker._stream_event([read], arn), None)
    assert record.timestamp == datetime(2026, 11, 23, 9, 30)
    assert (record.event_name, record.table_name) == ("INSERT", "dhn-test-outbox")
    assert record.new_image == read["dynamodb"]["NewImage"]
    json.dumps(worker._stream_event([read], arn))  # as plain as what Lambda sends
