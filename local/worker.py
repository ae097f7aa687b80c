"""The worker loop of the local stack: it plays the part of Lambda's SQS triggers, DynamoDB
stream triggers and EventBridge schedules by calling the very handler functions that Lambda
calls in AWS, with events of the same shape.

It reads what is new on each stream and queue every POLL seconds, about as often as Lambda
polls a stream shard, and runs every schedule every TICK seconds (instead of at its AWS rate,
so that retries due on a laptop go out within about a second).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.core import config

TICK = 0.5
POLL = 0.25


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


def _stream_event(records: list[Any], stream_arn: str) -> dict[str, Any]:
    """Records as Lambda hands them over: the creation time in epoch seconds, and the ARN of
    the stream they come from."""
    return {
        "Records": [
            {
                **r,
                "eventSourceARN": stream_arn,
                "dynamodb": {
                    **r["dynamodb"],
                    "ApproximateCreationDateTime": r["dynamodb"]["ApproximateCreationDateTime"].timestamp(),
                },
            }
            for r in records
        ]
    }


class StreamPoller:
    """One table stream's trigger, as Lambda's event source mapping reads it: from where the
    worker started (`LATEST`), shard by shard, in batches. A record the handler reports as
    failed is not read again: it is still pending in the outbox, where the scheduled safety
    net finds it."""

    def __init__(self, handler: Callable[..., Any], source: DynamoDBEventConfig) -> None:
        self.handler = handler
        self.name = source.name
        self.batch_size = source.batch_size
        table = config.stream_table(source.stream_arn)
        self.arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        # Recent botocore names an endpoint after the account for streams, which moto's
        # in-process mock does not recognise; the regional endpoint reaches the same service.
        self.streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.iterators = {
            shard["ShardId"]: self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType=source.starting_position
            )["ShardIterator"]
            for shard in shards
        }

    def poll(self) -> None:
        for shard, iterator in list(self.iterators.items()):
            got = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            following = got.get("NextShardIterator")
            if following:
                self.iterators[shard] = following
            else:
                del self.iterators[shard]  # a closed shard has nothing more
            if got["Records"]:
                self.handler(_stream_event(got["Records"], self.arn), _context(self.name))


@dataclass(frozen=True)
class Job:
    """One handler's trigger, and how often the loop runs it."""

    run: Callable[[], None]
    every: float

    def __call__(self) -> None:
        self.run()


def jobs() -> list[Job]:
    """Every trigger of the app, in the order app.py declares its handlers."""
    import app as application

    found: list[Job] = []
    for source in application.app.event_sources:
        handler = getattr(application, source.name)
        if isinstance(source, ScheduledEventConfig):
            found.append(Job(_scheduled(handler, source.name), TICK))
        elif isinstance(source, SQSEventConfig):
            found.append(Job(SqsPoller(handler, source).poll, POLL))
        elif isinstance(source, DynamoDBEventConfig):
            found.append(Job(StreamPoller(handler, source).poll, POLL))
    return found


def main() -> None:
    from chalicelib.core.observability import logger

    work = jobs()
    last_run = [-TICK] * len(work)
    while True:
        for n, job in enumerate(work):
            if time.monotonic() - last_run[n] < job.every:
                continue
            last_run[n] = time.monotonic()
            try:
                job()
            except Exception as exc:  # one failing job must not stop the others
                logger().error("worker job failed", extra={"error_type": type(exc).__name__})
        time.sleep(POLL)


if __name__ == "__main__":
    main()
