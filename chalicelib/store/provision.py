"""Create DHN's tables, bucket and queues where they do not exist: in moto for the local
stack and the tests. In AWS, infra/ declares the same resources from `store.schema`."""

from __future__ import annotations

import boto3

from chalicelib.config import region
from chalicelib.store import schema


def create_all() -> None:
    dynamodb = boto3.client("dynamodb", region_name=region())
    for model in schema.MODELS:
        if not model.exists():
            model.create_table(wait=True)
            ttl = schema.ttl_attribute(model)
            if ttl:
                dynamodb.update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
                )
    s3 = boto3.client("s3", region_name=region())
    for bucket in schema.bucket_names():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region()})  # type: ignore[typeddict-item]
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    sqs = boto3.client("sqs", region_name=region())
    for short in schema.QUEUES:
        sqs.create_queue(QueueName=schema.queue_name(short))
