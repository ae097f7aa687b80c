"""Settings read from the environment, so that dev, prod and the local stack differ only there.

Chalice sets these per stage (`.chalice/config.json`), the CDK app passes the real resource
names, and the local stack exports them before it starts `chalice local`.
"""

from __future__ import annotations

import os


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"


def stage() -> str:
    """`local` on a laptop and in tests, `dev` or `prod` in AWS."""
    return os.environ.get("DHN_STAGE", "local")


def local_network_allowed() -> bool:
    """Whether webhooks may go to loopback over plain http: on a laptop and in the tests,
    never in a deployed stage."""
    return stage() in ("local", "test")


def resource_prefix() -> str:
    return os.environ.get("DHN_RESOURCE_PREFIX", f"dhn-{stage()}")


def table_name(short: str) -> str:
    """The physical name of one of our DynamoDB tables (`invoices` → `dhn-dev-invoices`)."""
    return f"{resource_prefix()}-{short}"


def queue_name(short: str) -> str:
    """The physical name of one of our SQS queues (`webhooks` → `dhn-dev-webhooks`)."""
    return f"{resource_prefix()}-{short}"


def vault_bucket() -> str:
    return os.environ.get("DHN_VAULT_BUCKET", f"{resource_prefix()}-vault")


def vault_kms_key_id() -> str | None:
    """The customer-managed key of the vault in AWS; locally S3's own keys do."""
    return os.environ.get("DHN_VAULT_KMS_KEY_ID") or None


def operator_token() -> str | None:
    """The operator's bearer token; onboarding is closed while it is unset."""
    return os.environ.get("DHN_OPERATOR_TOKEN") or None
