"""Checks of checkov and cfn-lint that do not fit DHN, skipped on the resources they name, each
with its reason, in one place so a reader sees every exception at once. CI fails on any other
finding."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack

# Resource type → (check id, why it does not apply).
SKIPS: dict[str, list[tuple[str, str]]] = {
    "AWS::Serverless::Function": [
        (
            "CKV_AWS_116",
            "invoked synchronously, by SQS, whose queue has its own dead-letter queue, or by the"
            " outbox stream, whose events stay pending until relayed",
        ),
        ("CKV_AWS_117", "reaches only AWS APIs and public webhook endpoints; the stack has no VPC"),
        ("CKV_AWS_115", "API Gateway throttles the stage; reserved concurrency would starve the account"),
        ("CKV_AWS_173", "environment holds resource names and ARNs only; the key seed is in Secrets Manager"),
    ],
    "AWS::WAFv2::WebACL": [
        (
            "CKV_AWS_192",
            "the ACL limits each address's rate; the functions run Python and log no request text,"
            " so there is no Log4j lookup to block",
        ),
    ],
    "AWS::Serverless::Api": [
        ("CKV_AWS_120", "answers are per caller and carry personal data: they must never be cached"),
        (
            "CKV_AWS_73",
            "API Gateway traces record full URLs, and a URL may still name a patient in a caller's"
            " mistake; the Lambda functions are traced instead",
        ),
    ],
}

# cfn-lint rules ignored by resource type → why.
LINT_IGNORES: dict[str, list[tuple[str, str]]] = {
    "AWS::Serverless::Function": [
        ("W3005", "it waits for its whole role, policies included: an SQS trigger needs them to exist"),
    ],
}

# Construct id → skips for one resource.
RESOURCE_SKIPS: dict[str, list[tuple[str, str]]] = {
    "VaultAccessLogs": [("CKV_AWS_18", "it is the access log bucket: logging it to itself would loop")],
}


def apply(stack: Stack) -> None:
    for construct in stack.node.find_all():
        if not isinstance(construct, CfnResource):
            continue
        skips = SKIPS.get(construct.cfn_resource_type, [])
        parent = construct.node.scope
        if parent is not None:
            skips = skips + RESOURCE_SKIPS.get(parent.node.id, [])
        if skips:
            construct.add_metadata(
                "checkov", {"skip": [{"id": check, "comment": reason} for check, reason in skips]}
            )
        ignored = LINT_IGNORES.get(construct.cfn_resource_type)
        if ignored:
            construct.add_metadata("cfn-lint", {"config": {"ignore_checks": [rule for rule, _ in ignored]}})
