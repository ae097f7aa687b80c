"""The worker loop of the local stack: it plays the part of Lambda's SQS triggers and
EventBridge schedules by calling the very handler functions that Lambda calls in AWS.

Schedules run every TICK seconds instead of their AWS rate, so that on a laptop an event is
delivered within about a second.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import boto3
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

TICK = 0.5


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=60_000)


def _scheduled_event() -> dict[str, Any]:
    """EventBridge's event, with every field Chalice's `CloudWatchEvent` reads."""
    return {
        "version": "0",
        "id": "local",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": "1970-01-01T00:00:00Z",
        "region": "eu-central-1",
        "resources": [],
        "detail": {},
    }


def _sqs_event(messages: list[Any], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
            }
            for m in messages
        ]
    }


class SqsPoller:
    """One queue's trigger: receive a batch, call the handler, delete what succeeded."""

    def __init__(self, handler: Callable[..., Any], source: SQSEventConfig) -> None:
        self.handler = handler
        self.name = source.name
        self.sqs = boto3.client("sqs")
        assert source.queue is not None
        self.url = self.sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.batch_size = min(source.batch_size, 10)

    def poll(self) -> None:
        got = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=0, AttributeNames=["All"]
        )
        messages = got.get("Messages", [])
        if not messages:
            return
        result = self.handler(_sqs_event(messages, self.arn), _context(self.name))
        # As with ReportBatchItemFailures: the failed ones stay in the queue for a retry.
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def jobs() -> list[Callable[[], None]]:
    import app as application

    found: list[Callable[[], None]] = []
    for source in application.app.event_sources:
        handler = getattr(application, source.name)
        if isinstance(source, ScheduledEventConfig):
            found.append(functools.partial(handler, _scheduled_event(), _context(source.name)))
        elif isinstance(source, SQSEventConfig):
            found.append(SqsPoller(handler, source).poll)
    return found


def main() -> None:
    from chalicelib.observability import logger

    work = jobs()
    while True:
        for job in work:
            try:
                job()
            except Exception as exc:  # one failing job must not stop the others
                logger().error("worker job failed", extra={"error_type": type(exc).__name__})
        time.sleep(TICK)


if __name__ == "__main__":
    main()
