"""DynamoDB tables, the vault bucket and the queues, declared from `chalicelib.store.schema`:
the same list the local stack and the tests create their resources from."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from pynamodb.models import Model

from chalicelib.core import config
from chalicelib.store import schema
from chalicelib.store.vault import EXPORTS_PREFIX, PENDING_PREFIX, STAGING_PREFIX
from infra.stages import Stage

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}

# A message that failed this often goes to the dead-letter queue, where an alarm sees it.
MAX_RECEIVES = 5


def short_table_name(model: type[Model], stage: Stage) -> str:
    """`dhn-dev-invoices` → `invoices`: construct ids and the access map use the short name."""
    physical: str = model.Meta.table_name
    if not physical.startswith(f"{stage.prefix}-"):
        raise ValueError(f"table {physical} is not named for stage {stage.name}")
    return physical.removeprefix(f"{stage.prefix}-")


def _key(key_schema: list[dict[str, str]], types: dict[str, str], kind: str) -> dynamodb.Attribute | None:
    for part in key_schema:
        if part["KeyType"] == kind:
            name = part["AttributeName"]
            return dynamodb.Attribute(name=name, type=_TYPES[types[name]])
    return None


def _required_key(key_schema: list[dict[str, str]], types: dict[str, str], kind: str) -> dynamodb.Attribute:
    found = _key(key_schema, types, kind)
    if found is None:
        raise ValueError(f"a key schema without its {kind} key: {key_schema}")
    return found


def _projection(index: dict[str, Any]) -> dict[str, Any]:
    projection = index.get("projection", {})
    kind = projection.get("ProjectionType", "ALL")
    return {
        "projection_type": dynamodb.ProjectionType(kind),
        "non_key_attributes": projection.get("NonKeyAttributes") if kind == "INCLUDE" else None,
    }


def table(scope: Construct, model: type[Model], stage: Stage, key: kms.IKey) -> dynamodb.Table:
    """One table as its PynamoDB model describes it: keys, indexes, TTL and stream."""
    described = cast(dict[str, Any], model._get_schema())
    view = schema.stream_view_type(model)
    types = {d["AttributeName"]: d["AttributeType"] for d in described["attribute_definitions"]}
    keys = described["key_schema"]
    made = dynamodb.Table(
        scope,
        f"Table-{short_table_name(model, stage)}",
        table_name=model.Meta.table_name,
        partition_key=_required_key(keys, types, "HASH"),
        sort_key=_key(keys, types, "RANGE"),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=schema.ttl_attribute(model),
        stream=dynamodb.StreamViewType(view) if view else None,
        deletion_protection=stage.protect_data,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        removal_policy=RemovalPolicy.RETAIN if stage.protect_data else RemovalPolicy.DESTROY,
    )
    for index in described["global_secondary_indexes"]:
        made.add_global_secondary_index(
            index_name=index["index_name"],
            partition_key=_required_key(index["key_schema"], types, "HASH"),
            sort_key=_key(index["key_schema"], types, "RANGE"),
            **_projection(index),
        )
    for index in described["local_secondary_indexes"]:
        made.add_local_secondary_index(
            index_name=index["index_name"],
            sort_key=_required_key(index["key_schema"], types, "RANGE"),
            **_projection(index),
        )
    return made


def vault(scope: Construct, stage: Stage, key: kms.IKey, access_logs: s3.IBucket) -> s3.Bucket:
    """The patients' documents: private, KMS-encrypted, versioned, reachable over TLS only."""
    return s3.Bucket(
        scope,
        "Vault",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix="vault/",
        lifecycle_rules=[
            s3.LifecycleRule(
                id="old-versions",
                noncurrent_version_expiration=Duration.days(90 if stage.protect_data else 30),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            ),
            # An export is fetched within minutes of being written (its URL lasts 5), so it
            # goes after a day, the shortest a rule allows, old versions included.
            s3.LifecycleRule(
                id="exports",
                prefix=EXPORTS_PREFIX,
                expiration=Duration.days(1),
                noncurrent_version_expiration=Duration.days(1),
            ),
            # A document's copy is staged here before the transaction that records it and
            # copied into place after: whatever stays behind belongs to an issuance that
            # failed (or to one copied already), and goes after a day, old versions included.
            s3.LifecycleRule(
                id="staging",
                prefix=STAGING_PREFIX,
                expiration=Duration.days(1),
                noncurrent_version_expiration=Duration.days(1),
            ),
            # An upload is checked within minutes (its URL lasts 5); one never completed, or
            # refused, goes after a day with its upload record (store/uploads.py).
            s3.LifecycleRule(
                id="pending-uploads",
                prefix=PENDING_PREFIX,
                expiration=Duration.days(1),
                noncurrent_version_expiration=Duration.days(1),
            ),
        ],
        # Patients' documents outlive any one deployment of the stack.
        removal_policy=RemovalPolicy.RETAIN,
    )


def access_log_bucket(scope: Construct, stage: Stage) -> s3.Bucket:
    """Where S3 writes the vault's server access logs (S3 cannot log to a KMS-encrypted bucket)."""
    return s3.Bucket(
        scope,
        "VaultAccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(stage.log_retention_days))],
        removal_policy=RemovalPolicy.RETAIN,
    )


def queue(scope: Construct, short: str, key: kms.IKey, visibility: Duration) -> sqs.Queue:
    """A queue of the schema with its dead-letter queue, both encrypted with the stage's key."""
    name = config.queue_name(short)
    dead = sqs.Queue(
        scope,
        f"Dlq-{short}",
        queue_name=f"{name}-dlq",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    return sqs.Queue(
        scope,
        f"Queue-{short}",
        queue_name=name,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        visibility_timeout=visibility,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=MAX_RECEIVES),
    )
