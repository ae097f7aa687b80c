"""Settings read from the environment, so that dev, prod and the local stack differ only there.

Chalice sets these per stage (`.chalice/config.json`), the CDK app passes the real resource
names, and the local stack exports them before it starts `chalice local`.
"""

from __future__ import annotations

import os

# How long a container keeps a value read from Secrets Manager before reading it again: a
# rotated secret reaches every warm container within this time, without a deployment.
SECRET_MAX_AGE_SECONDS = 300
OPERATOR_TOKEN_ENV = "DHN_OPERATOR_TOKEN"  # noqa: S105 (a variable's name, not a secret)
# The stages that run on one machine: a laptop's local stack, and the tests.
LOCAL_STAGES = ("local", "test")


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-central-1"


def stage() -> str:
    """`local` on a laptop and in tests, `dev` or `prod` in AWS."""
    return os.environ.get("DHN_STAGE", "local")


def local_network_allowed() -> bool:
    """Whether webhooks may go to loopback over plain http: on a laptop and in the tests,
    never in a deployed stage."""
    return stage() in LOCAL_STAGES


def resource_prefix() -> str:
    return os.environ.get("DHN_RESOURCE_PREFIX", f"dhn-{stage()}")


def table_name(short: str) -> str:
    """The physical name of one of our DynamoDB tables (`invoices` → `dhn-dev-invoices`)."""
    return f"{resource_prefix()}-{short}"


def queue_name(short: str) -> str:
    """The physical name of one of our SQS queues (`webhooks` → `dhn-dev-webhooks`)."""
    return f"{resource_prefix()}-{short}"


def stream_arn(short: str) -> str:
    """What a stream handler names as the stream of table `short`. A stream's ARN ends in a
    label DynamoDB picks when it makes the stream, so this one has a `*` there and in the
    account: infra/ puts the real ARN in its place, and the local worker asks for it by the
    table's name (`stream_table`)."""
    return f"arn:aws:dynamodb:{region()}:*:table/{table_name(short)}/stream/*"


def stream_table(arn: str) -> str:
    """The physical name of the table a stream ARN belongs to."""
    return arn.split(":", 5)[-1].split("/")[1]


def vault_bucket() -> str:
    return os.environ.get("DHN_VAULT_BUCKET", f"{resource_prefix()}-vault")


def vault_kms_key_id() -> str | None:
    """The customer-managed key of the vault in AWS; locally S3's own keys do."""
    return os.environ.get("DHN_VAULT_KMS_KEY_ID") or None


def in_lambda() -> bool:
    """Whether this process is a Lambda function, whatever the stage's settings say."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def bootstrap_operator_token() -> str | None:
    """The local stack's static operator token, which starts onboarding on a laptop. No AWS
    stage has one (operators there mint named tokens with the command line), and in Lambda it
    is refused even if one were configured, so a stray variable opens nothing."""
    if in_lambda() or stage() not in LOCAL_STAGES:
        return None
    return os.environ.get(OPERATOR_TOKEN_ENV, "").strip() or None


def secret(variable: str, arn_variable: str) -> tuple[str, str]:
    """A secret setting and the name of the variable it came from: in AWS, the Secrets Manager
    secret whose ARN `arn_variable` holds (cached for SECRET_MAX_AGE_SECONDS); elsewhere the
    value of `variable` itself. Empty when neither is set."""
    arn = os.environ.get(arn_variable, "").strip()
    if not arn:
        return os.environ.get(variable, "").strip(), variable
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    return text.strip(), arn_variable


def certificate_cancel_seconds() -> int | None:
    """A shorter cancel window for certificates, so the end-to-end tests need not wait an
    hour: read on a laptop and in the tests only, never in Lambda or a deployed stage,
    where the window is the contract's hour."""
    if in_lambda() or stage() not in LOCAL_STAGES:
        return None
    raw = os.environ.get("DHN_CERTIFICATE_CANCEL_SECONDS", "").strip()
    return int(raw) if raw.isdigit() else None
