"""Create DHN's tables, bucket and queues where they do not exist: in moto for the local
stack and the tests. In AWS, infra/ declares the same resources from `store.schema`."""

from __future__ import annotations

import boto3

from chalicelib.core import config
from chalicelib.store import schema


def create_all() -> None:
    for model in schema.MODELS:
        # PynamoDB also switches on the TTL of a model that has a TTLAttribute, and the stream
        # of one whose Meta names a `stream_view_type`.
        model.create_table(wait=True)
    s3 = boto3.client("s3", region_name=config.region())
    for bucket in schema.bucket_names():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region()})  # type: ignore[typeddict-item]
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    sqs = boto3.client("sqs", region_name=config.region())
    for short in schema.QUEUES:
        sqs.create_queue(QueueName=config.queue_name(short))
