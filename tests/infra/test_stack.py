"""The CDK stack picks up whatever the app and the schema declare, with no edit in infra/.

A small Chalice project with one schedule, one SQS handler and one handler of the outbox's
stream stands in for app.py, so that the handlers other parts of DHN add are covered before
they exist. Packaging it needs no third-party wheels, so this runs offline in seconds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import config
from chalicelib.services import webhook_delivery
from chalicelib.store import outbox, schema
from chalicelib.store.outbox import OutboxEvent
from chalicelib.store.webhooks import WebhookDelivery

ROOT = Path(__file__).resolve().parents[2]

HANDLERS = """
from chalice import Chalice, Rate
from chalicelib.core import config

app = Chalice(app_name="dhn")


@app.route("/v1/health")
def health():
    return {"status": "ok"}


@app.schedule(Rate(5, unit=Rate.MINUTES))
def remind(event):
    return None


@app.on_sqs_message(queue=config.queue_name("deliveries"), batch_size=5)
def deliver(event):
    return None


@app.on_dynamodb_record(stream_arn=config.stream_arn("outbox"), batch_size=10)
def relay_events(event):
    return None
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("project")


@pytest.fixture(scope="module")
def template(project: Path) -> dict[str, Any]:
    """The synthesized stack of stage `test` for the stand-in project."""
    (project / ".chalice").mkdir()
    # Stage `test` is configured as the deployed stages are.
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["test"] = config["stages"]["dev"]
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    (project / "app.py").write_text(HANDLERS)
    (project / "requirements.txt").write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.setattr(schema, "QUEUES", ["deliveries"])
        # Chalice's packager imports `app` from the project: not the app of the other tests.
        patch.delitem(sys.modules, "app", raising=False)
        patch.syspath_prepend(str(project))
        patch.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
        # Chalice's packager loads the app with the stage's variables set in os.environ; they
        # must not leak into the tests that run after this one in the same process.
        environment = dict(os.environ)
        try:
            return _synthesize(project)
        finally:
            sys.modules.pop("app", None)
            os.environ.clear()
            os.environ.update(environment)


def _synthesize(project: Path) -> dict[str, Any]:
    import importlib

    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import FLAGS
    from infra.stack import DhnStack
    from infra.stages import Stage

    stand_in = importlib.import_module("app")
    stage = Stage(
        name="test",
        region="eu-central-1",
        protect_data=True,
        log_retention_days=30,
        throttle_rate=10,
        throttle_burst=20,
        ip_rate_limit=300,
        lambda_memory_mb=512,
    )
    app = cdk.App(outdir=str(project / "cdk.out"), context=FLAGS)
    env = cdk.Environment(account="123456789012", region=stage.region)
    stack = DhnStack(app, stage, project, stand_in.app.event_sources, env)
    return dict(Template.from_stack(stack).to_json())


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every policy statement attached to one role."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            props = resource["Properties"]
            if {"Ref": role_id} in props.get("Roles", []):
                found += props["PolicyDocument"]["Statement"]
    return found


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def test_every_model_is_a_table_with_its_keys_ttl_and_protection(template: dict[str, Any]) -> None:
    tables = {t["Properties"]["TableName"]: t for t in _of_type(template, "AWS::DynamoDB::Table").values()}
    assert set(tables) == {m.Meta.table_name for m in schema.MODELS}
    for model in schema.MODELS:
        props = tables[model.Meta.table_name]["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["DeletionProtectionEnabled"] is True
        assert props["SSESpecification"]["SSEType"] == "KMS"
        described = model._get_schema()
        assert sorted(k["AttributeName"] for k in props["KeySchema"]) == sorted(
            k["AttributeName"] for k in described["key_schema"]
        )
        indexes = {i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["index_name"] for i in described["global_secondary_indexes"]}
        ttl = schema.ttl_attribute(model)
        assert props.get("TimeToLiveSpecification") == (
            {"AttributeName": ttl, "Enabled": True} if ttl else None
        )


def test_every_queue_has_an_encrypted_dead_letter_queue_and_an_alarm(template: dict[str, Any]) -> None:
    queues = {
        q["Properties"]["QueueName"]: q["Properties"] for q in _of_type(template, "AWS::SQS::Queue").values()
    }
    name = config.queue_name("deliveries")
    assert set(queues) == {name, f"{name}-dlq"}
    assert all("KmsMasterKeyId" in q for q in queues.values())
    assert queues[name]["RedrivePolicy"]["maxReceiveCount"] == 5
    alarms = [a["Properties"] for a in _of_type(template, "AWS::CloudWatch::Alarm").values()]
    assert any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" for a in alarms)


def test_sqs_handler_reports_batch_item_failures_on_its_declared_queue(template: dict[str, Any]) -> None:
    function = template["Resources"]["Deliver"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue_id = next(
        k
        for k, v in _of_type(template, "AWS::SQS::Queue").items()
        if v["Properties"]["QueueName"] == config.queue_name("deliveries")
    )
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_schedule_is_kept(template: dict[str, Any]) -> None:
    (event,) = template["Resources"]["Remind"]["Properties"]["Events"].values()
    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)"}}


def test_each_function_has_its_own_role_with_only_what_it_touches(template: dict[str, Any]) -> None:
    functions = _of_type(template, "AWS::Serverless::Function")
    assert set(functions) == {"APIHandler", "Remind", "Deliver", "RelayEvents"}
    roles = {name: f["Properties"]["Role"]["Fn::GetAtt"][0] for name, f in functions.items()}
    assert len(set(roles.values())) == 4
    assert (
        not _of_type(template, "AWS::IAM::Role").keys()
        - set(roles.values())
        - {k for k in _of_type(template, "AWS::IAM::Role") if k.startswith("ApiGatewayLogsRole")}
    )
    api = _actions(_statements(template, roles["APIHandler"]))
    assert {"dynamodb:PutItem", "s3:PutObject", "secretsmanager:GetSecretValue"} <= api
    assert "sqs:ReceiveMessage" not in api
    remind = _actions(_statements(template, roles["Remind"]))
    deliver = _actions(_statements(template, roles["Deliver"]))
    for handler in (remind, deliver):
        assert "dynamodb:PutItem" in handler
        assert not {a for a in handler if a.startswith(("s3:", "secretsmanager:"))}
    assert "sqs:ReceiveMessage" in deliver
    assert "sqs:ReceiveMessage" not in remind
    # The outbox's relay puts a document's copy in place before telling the patient of it.
    relay_statements = _statements(template, roles["RelayEvents"])
    relay = _actions(relay_statements)
    assert {"s3:GetObject*", "s3:PutObject"} <= relay
    assert not {a for a in relay if a.startswith(("secretsmanager:", "s3:Delete"))}
    # It writes only under documents/.
    writes = [s for s in relay_statements if "s3:PutObject" in _actions([s])]
    assert writes and all("documents/*" in json.dumps(s["Resource"]) for s in writes)


def test_functions_get_the_real_resource_names_and_tracing(template: dict[str, Any]) -> None:
    for function in _of_type(template, "AWS::Serverless::Function").values():
        props = function["Properties"]
        variables = props["Environment"]["Variables"]
        assert variables["DHN_STAGE"] == "test"
        assert variables["DHN_RESOURCE_PREFIX"] == "dhn-test"
        for name in (
            "DHN_VAULT_BUCKET",
            "DHN_VAULT_KMS_KEY_ID",
            "DHN_QR_SIGNING_KEY_SECRET_ARN",
        ):
            assert isinstance(variables[name], dict), name  # a reference to the declared resource
        assert "DHN_QR_SIGNING_KEY" not in variables
        # No stage has a static operator token: operators mint named ones with the command line.
        assert not {"DHN_OPERATOR_TOKEN", "DHN_OPERATOR_TOKEN_SECRET_ARN"} & set(variables)
        assert props["Tracing"] == "Active"


def test_no_stage_has_a_static_operator_token(template: dict[str, Any]) -> None:
    secrets = [s["Properties"] for s in _of_type(template, "AWS::SecretsManager::Secret").values()]
    assert secrets  # the QR signing key and the sealing key, and none for an operator
    assert not [s for s in secrets if "operator" in s["Description"].lower()]
    assert not [name for name in template.get("Outputs", {}) if "operator" in name.lower()]


def test_api_has_access_logs_without_paths_no_tracing_and_a_throttle(template: dict[str, Any]) -> None:
    api = template["Resources"]["RestAPI"]["Properties"]
    # API Gateway's traces record whole URLs; the functions trace themselves.
    assert api["TracingEnabled"] is False
    assert "xrayTraceId" not in api["AccessLogSetting"]["Format"]
    log_format = json.loads(api["AccessLogSetting"]["Format"])
    assert log_format["resourcePath"] == "$context.resourcePath"
    assert "$context.path" not in api["AccessLogSetting"]["Format"]
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 10
    assert settings["DataTraceEnabled"] is False


def test_each_address_is_rate_limited_at_the_api_stage(template: dict[str, Any]) -> None:
    (acl_id, acl), *more = _of_type(template, "AWS::WAFv2::WebACL").items()
    assert more == []
    props = acl["Properties"]
    assert (props["Scope"], props["DefaultAction"]) == ("REGIONAL", {"Allow": {}})
    rule, employer = props["Rules"]
    assert rule["Name"] == "requests-per-address"
    assert rule["Statement"] == {
        "RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 300, "EvaluationWindowSec": 300}
    }
    assert rule["Action"] == {"Block": {"CustomResponse": {"ResponseCode": 429}}}
    assert rule["VisibilityConfig"]["SampledRequestsEnabled"] is False
    assert employer["Name"] == "employer-codes-per-address"
    limited = employer["Statement"]["RateBasedStatement"]
    assert (limited["Limit"], limited["EvaluationWindowSec"]) == (100, 300)
    match = limited["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["FieldToMatch"], match["PositionalConstraint"]) == ({"UriPath": {}}, "CONTAINS")
    assert match["SearchString"] == "/v1/employer/"
    assert employer["Action"] == {"Block": {"CustomResponse": {"ResponseCode": 429}}}
    assert employer["VisibilityConfig"]["SampledRequestsEnabled"] is False
    (association,) = _of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert stage_arn.endswith("/restapis/${RestAPI}/stages/${RestAPI.Stage}")
    (logging,) = _of_type(template, "AWS::WAFv2::LoggingConfiguration").values()
    redacted = logging["Properties"]["RedactedFields"]
    assert {"SingleHeader": {"Name": "authorization"}} in redacted
    assert {"UriPath": {}} in redacted
    assert {"QueryString": {}} in redacted


def test_vault_is_private_encrypted_versioned_and_tls_only(template: dict[str, Any]) -> None:
    vault = template["Resources"][next(k for k in template["Resources"] if k.startswith("Vault2"))]
    props = vault["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert (
        props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    )
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert any("NoncurrentVersionExpiration" in r for r in props["LifecycleConfiguration"]["Rules"])
    policies = _of_type(template, "AWS::S3::BucketPolicy").values()
    assert any(
        s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Effect"] == "Deny"
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    )


@pytest.mark.parametrize("prefix", ["exports/", "staging/"])
def test_exports_and_staged_copies_in_the_vault_expire_after_a_day(
    template: dict[str, Any], prefix: str
) -> None:
    from chalicelib.store.vault import EXPORTS_PREFIX, PENDING_PREFIX, STAGING_PREFIX

    vault = template["Resources"][next(k for k in template["Resources"] if k.startswith("Vault2"))]
    rules = vault["Properties"]["LifecycleConfiguration"]["Rules"]
    assert sorted(r["Prefix"] for r in rules if r.get("Prefix")) == sorted(
        [EXPORTS_PREFIX, STAGING_PREFIX, PENDING_PREFIX]
    )
    [rule] = [r for r in rules if r.get("Prefix") == prefix]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 1
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_no_document_is_kept_under_a_prefix_that_expires() -> None:
    from chalicelib.store import vault

    key = vault.object_key("doc_01KAAAAAAAAAAAAAAAAAAAAAAA")
    assert not key.startswith((vault.EXPORTS_PREFIX, vault.STAGING_PREFIX, vault.PENDING_PREFIX))
    assert vault.staged_key("doc_01KAAAAAAAAAAAAAAAAAAAAAAA").startswith(vault.STAGING_PREFIX)


def test_uploads_never_completed_expire_after_a_day(template: dict[str, Any]) -> None:
    from chalicelib.store.vault import PENDING_PREFIX

    vault = template["Resources"][next(k for k in template["Resources"] if k.startswith("Vault2"))]
    rules = vault["Properties"]["LifecycleConfiguration"]["Rules"]
    [rule] = [r for r in rules if r.get("Prefix") == PENDING_PREFIX]
    assert rule["Id"] == "pending-uploads"
    assert PENDING_PREFIX == "pending/"
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 1
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    # Its own rule: no other rule expires documents.
    assert [r["Id"] for r in rules if r.get("Prefix", "").startswith("documents")] == []


def test_every_function_has_an_error_alarm(template: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in _of_type(template, "AWS::CloudWatch::Alarm").values()]
    measured = {a["Dimensions"][0]["Value"]["Ref"] for a in alarms if a["MetricName"] == "Errors"}
    assert measured == {"APIHandler", "Remind", "Deliver", "RelayEvents"}
    names = {a["MetricName"] for a in alarms}
    assert {"5XXError", "ClaimsOverdue"} <= names


def _table_id(template: dict[str, Any], model: type[Any]) -> str:
    return next(
        k
        for k, v in _of_type(template, "AWS::DynamoDB::Table").items()
        if v["Properties"]["TableName"] == model.Meta.table_name
    )


def test_outbox_and_deliveries_expire_by_ttl_and_the_outbox_streams_new_items(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    for model in (OutboxEvent, WebhookDelivery):
        ttl = resources[_table_id(template, model)]["Properties"]["TimeToLiveSpecification"]
        assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    streams = {
        t["Properties"]["TableName"]: t["Properties"].get("StreamSpecification")
        for t in _of_type(template, "AWS::DynamoDB::Table").values()
    }
    assert streams.pop(OutboxEvent.Meta.table_name) == {"StreamViewType": "NEW_IMAGE"}
    assert set(streams.values()) == {None}


def test_stream_handler_reads_the_declared_stream_reports_failures_and_filters(
    template: dict[str, Any],
) -> None:
    from infra import stack

    function = template["Resources"]["RelayEvents"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    stream = {"Fn::GetAtt": [_table_id(template, OutboxEvent), "StreamArn"]}
    assert props["Stream"] == stream
    assert props["StartingPosition"] == "LATEST"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == stack.STREAM_RETRIES
    assert props["MaximumRecordAgeInSeconds"] == stack.STREAM_RECORD_MAX_AGE_SECONDS
    (pattern,) = props["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == outbox.new_event_pattern()

    def on_stream(function_id: str) -> set[str]:
        role = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        return _actions([s for s in _statements(template, role) if s["Resource"] == stream])

    reads = {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"}
    assert reads <= on_stream("RelayEvents")
    assert on_stream("Deliver") == set()


def test_the_sender_fits_an_attempt_in_its_timeout_and_its_queue_outwaits_it(
    template: dict[str, Any],
) -> None:
    from infra import stack

    timeouts = {f["Properties"]["Timeout"] for f in _of_type(template, "AWS::Serverless::Function").values()}
    assert timeouts == {stack.LAMBDA_TIMEOUT_SECONDS}
    (queue,) = (
        q["Properties"]
        for q in _of_type(template, "AWS::SQS::Queue").values()
        if q["Properties"]["QueueName"] == config.queue_name("deliveries")
    )
    assert queue["VisibilityTimeout"] == 6 * stack.LAMBDA_TIMEOUT_SECONDS
    # One attempt at its worst fits an invocation, and no invocation outlasts a lease.
    assert webhook_delivery.SEND_SECONDS < stack.LAMBDA_TIMEOUT_SECONDS
    assert webhook_delivery.LEASE.total_seconds() > stack.LAMBDA_TIMEOUT_SECONDS


def test_timing_that_does_not_fit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from infra import stack

    stack.check_timing()
    monkeypatch.setattr(webhook_delivery, "SEND_SECONDS", stack.LAMBDA_TIMEOUT_SECONDS + 1.0)
    with pytest.raises(ValueError, match="one webhook attempt"):
        stack.check_timing()
    monkeypatch.undo()
    monkeypatch.setattr(webhook_delivery, "LEASE", timedelta(seconds=stack.LAMBDA_TIMEOUT_SECONDS))
    with pytest.raises(ValueError, match="lease"):
        stack.check_timing()


CHANGES = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _on_table(statements: list[dict[str, Any]], table_id: str, effect: str) -> set[str]:
    """The actions of the statements with `effect` whose resources name that table."""
    return _actions(
        [s for s in statements if s["Effect"] == effect and f'"{table_id}"' in json.dumps(s["Resource"])]
    )


def test_the_access_journal_is_append_only_for_every_role(template: dict[str, Any]) -> None:
    from chalicelib.store.journal import EntryItem, NoticeItem

    tables = {t["Properties"]["TableName"]: k for k, t in _of_type(template, "AWS::DynamoDB::Table").items()}
    journal, notices = tables[EntryItem.Meta.table_name], tables[NoticeItem.Meta.table_name]
    for function in _of_type(template, "AWS::Serverless::Function").values():
        statements = _statements(template, function["Properties"]["Role"]["Fn::GetAtt"][0])
        assert {"dynamodb:PutItem", "dynamodb:Query"} <= _on_table(statements, journal, "Allow")
        assert not _on_table(statements, journal, "Allow") & CHANGES
        assert _on_table(statements, journal, "Deny") >= CHANGES
        # What a transaction of an entry needs beside it: the notice's check or put.
        assert {"dynamodb:ConditionCheckItem", "dynamodb:PutItem"} <= _on_table(statements, notices, "Allow")
        wildcard = [s for s in statements if s["Effect"] == "Allow" and s["Resource"] == "*"]
        # ListStreams takes no resource in IAM and reads no item: the outbox relay's stream
        # grant needs it, and it is all a wildcard may allow of DynamoDB.
        assert {a for a in _actions(wildcard) if a.startswith("dynamodb:")} <= {"dynamodb:ListStreams"}


def test_the_function_code_ships_each_module_with_its_bytecode(
    template: dict[str, Any], project: Path
) -> None:
    import importlib.util
    import zipfile

    [archive] = (project / "chalice.out").glob("*/deployment.zip")
    names = set(zipfile.ZipFile(archive).namelist())
    modules = {name for name in names if name.endswith(".py")}
    assert {"app.py", "chalice/app.py"} <= modules
    assert {importlib.util.cache_from_source(name) for name in modules} <= names
