"""The worker loop of the local stack: it plays the part of Lambda's SQS triggers and
EventBridge schedules by calling the very handler functions that Lambda calls in AWS.

Schedules run every TICK seconds instead of their AWS rate, so that on a laptop an event is
delivered within about a second.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.core import config

TICK = 0.5


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=60_000)


def _scheduled_event(name: str) -> dict[str, Any]:
    """What EventBridge sends a scheduled function; chalice reads every one of these keys."""
    region = config.region()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/{name}"],
        "detail": {},
    }


def _scheduled(handler: Callable[..., Any], name: str) -> Callable[[], None]:
    def run() -> None:
        handler(_scheduled_event(name), _context(name))

    return run


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
            found.append(_scheduled(handler, source.name))
        elif isinstance(source, SQSEventConfig):
            found.append(SqsPoller(handler, source).poll)
    return found


def main() -> None:
    from chalicelib.core.observability import logger

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
