"""Sending to DHN's SQS queues (the names are listed in `store.schema.QUEUES`). Light at
import: boto3 loads with the first message sent."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from chalicelib.core import config
from chalicelib.domain.queue_messages import MAX_DELAY_SECONDS, Message

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SQS takes at most ten messages per batch call.
BATCH = 10


@functools.cache
def _client() -> SQSClient:
    import boto3

    return boto3.client("sqs", region_name=config.region())


@functools.cache
def _url(name: str) -> str:
    return _client().get_queue_url(QueueName=name)["QueueUrl"]


def send(short: str, messages: list[Message]) -> None:
    """Send every message or raise: a caller that gets no exception may forget them."""
    url = _url(config.queue_name(short))
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        answer = _client().send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": m.body,
                    "DelaySeconds": max(0, min(m.delay_seconds, MAX_DELAY_SECONDS)),
                }
                for i, m in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} of {len(chunk)} messages")
