"""Create DHN's tables, bucket and queues where they do not exist: in moto for the local
stack and the tests. In AWS, infra/ declares the same resources from `store.schema`."""

from __future__ import annotations

import boto3

from chalicelib import config
from chalicelib.config import region
from chalicelib.store import schema


def create_all() -> None:
    for model in schema.MODELS:
        # PynamoDB also switches on the TTL of a model that has a TTLAttribute.
        model.create_table(wait=True)
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
        sqs.create_queue(QueueName=config.queue_name(short))


def empty_all() -> None:
    """Delete every item, object and message, keeping the resources: between tests. It scans,
    which is fine for a test's handful of items and never happens on a request path."""
    dynamodb = boto3.client("dynamodb", region_name=region())
    for model in schema.MODELS:
        keys = [
            name
            for name, attribute in model.get_attributes().items()
            if attribute.is_hash_key or attribute.is_range_key
        ]
        names = [model.get_attributes()[k].attr_name for k in keys]
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=model.Meta.table_name,
            ProjectionExpression=", ".join(f"#{i}" for i in range(len(names))),
            ExpressionAttributeNames={f"#{i}": n for i, n in enumerate(names)},
        ):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=model.Meta.table_name, Key=item)
    s3 = boto3.client("s3", region_name=region())
    for bucket in schema.bucket_names():
        for listing in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    sqs = boto3.client("sqs", region_name=region())
    for short in schema.QUEUES:
        # Deleted and made again: SQS allows one purge a minute, and delayed messages could not
        # be received to delete them one by one.
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=config.queue_name(short))["QueueUrl"])
        sqs.create_queue(QueueName=config.queue_name(short))
