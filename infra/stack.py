"""One deployed stage of DHN: storage from the schema, the Chalice app with one role per
function, the API's logs, throttling and per-address rate limit, and the alarms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import CfnOutput, CfnResource, Duration, Environment, Fn, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from chalice.app import BaseEventSourceConfig, DynamoDBEventConfig, SQSEventConfig
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct
from pynamodb.models import Model

from chalicelib.core import config, sealing, signing_keys
from chalicelib.store import schema
from chalicelib.store.vault import DOCUMENTS_PREFIX, PENDING_PREFIX, STAGING_PREFIX
from infra import access, alarms, checks, storage
from infra.bytecode import add_bytecode
from infra.stages import API_STAGE, IP_RATE_WINDOW_SECONDS, Stage

# Lambda's own limit for one invocation; an SQS message stays invisible six times as long, so
# that a retried batch is never handed to a second function while the first still runs. The
# webhook sender must fit one attempt at its worst, and its lease must outlast an invocation
# (`check_timing`).
LAMBDA_TIMEOUT_SECONDS = 30
VISIBILITY_TIMEOUT_SECONDS = 6 * LAMBDA_TIMEOUT_SECONDS
# A stream handler's batch that fails is bisected and retried this often, then passed over:
# its events are still pending in the outbox, where the scheduled safety net finds them.
STREAM_RETRIES = 3
# Older records are passed over too, for the same reason.
STREAM_RECORD_MAX_AGE_SECONDS = 600

# Access log fields: the route template, never the path itself (a path may hold a matricule).
# The employer's share-code routes, wherever the stage puts them (`/api/v1/employer/…`).
EMPLOYER_PATHS = "/v1/employer/"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "responseLatency": "$context.responseLatency",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Function:
    """A Lambda function of the Chalice app: its logical id and its entry in access.py."""

    logical_id: str
    name: str
    event: BaseEventSourceConfig | None


def functions(event_sources: list[BaseEventSourceConfig]) -> list[Function]:
    """The REST API's function and one per event handler, whatever app.py registers."""
    found = [Function(access.API_HANDLER, access.API_HANDLER, None)]
    found += [Function(to_cfn_resource_name(s.name), s.name, s) for s in event_sources]
    return found


def check_timing() -> None:
    """The webhook sender takes a message only with time left for its worst case, and an
    attempt it claimed is taken over once its lease is out: both must fit the timeout."""
    from chalicelib.services import webhook_delivery

    if LAMBDA_TIMEOUT_SECONDS <= webhook_delivery.SEND_SECONDS:
        raise ValueError(f"a {LAMBDA_TIMEOUT_SECONDS} s Lambda cannot make one webhook attempt at its worst")
    if webhook_delivery.LEASE.total_seconds() <= LAMBDA_TIMEOUT_SECONDS:
        raise ValueError("a webhook attempt's lease must outlast the sender's invocation")


def table_of(source: DynamoDBEventConfig) -> type[Model]:
    """The model of `schema.MODELS` whose table's stream a stream handler reads."""
    physical = config.stream_table(source.stream_arn)
    for model in schema.MODELS:
        if model.Meta.table_name == physical:
            return model
    raise ValueError(f"{source.name} reads the stream of {physical}, which is not in schema.MODELS")


def queue_of(source: SQSEventConfig) -> str:
    """The short name in `schema.QUEUES` of the queue an SQS handler reads."""
    physical = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
    for short in schema.QUEUES:
        if config.queue_name(short) == physical:
            return short
    raise ValueError(f"{source.name} reads queue {physical}, which is not in schema.QUEUES")


class ChaliceWithBytecode(Chalice):
    """Chalice's construct, whose function code carries its bytecode. The libraries' layer
    does not: its bytecode would take it past Lambda's 50 MB for a zip."""

    def _package_app(self) -> None:
        super()._package_app()
        add_bytecode(Path(self._sam_package_dir, "deployment.zip"))


class DhnStack(Stack):
    def __init__(
        self,
        scope: Construct,
        stage: Stage,
        source_dir: Path,
        event_sources: list[BaseEventSourceConfig],
        env: Environment,
    ) -> None:
        # The construct id is the stage: Chalice's construct packages the stage of that name.
        super().__init__(scope, stage.name, stack_name=stage.prefix, env=env, analytics_reporting=False)
        self.stage = stage
        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{stage.prefix}-data",
            description="Encrypts DHN's tables, vault, queues, signing key secret and logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._let_services_use_key()
        self.tables = {
            storage.short_table_name(m, stage): storage.table(self, m, stage, self.key) for m in schema.MODELS
        }
        self.vault = storage.vault(self, stage, self.key, storage.access_log_bucket(self, stage))
        CfnOutput(self, "VaultBucket", value=self.vault.bucket_name)
        check_timing()
        visibility = Duration.seconds(VISIBILITY_TIMEOUT_SECONDS)
        self.queues = {short: storage.queue(self, short, self.key, visibility) for short in schema.QUEUES}
        self.qr_secret = self._secret(
            "QrSigningKey", "base64url Ed25519 seed that signs the invoices' QR codes", 43
        )
        self.sealing_secret = self._secret(
            "SealingKey", "base64url AES key sealing webhook secrets and saved idempotent replies", 43
        )
        self.app = ChaliceWithBytecode(
            self, "App", source_dir=str(source_dir), stage_config=self._chalice_config()
        )
        self.functions = functions(event_sources)
        for function in self.functions:
            self._wire(function)
        self._configure_api()
        self._limit_rate_per_address()
        names = {f.logical_id: self.app.get_resource(f.logical_id).ref for f in self.functions}
        alarms.declare(self, stage, self.key, names, self.queues)
        checks.apply(self)

    def _let_services_use_key(self) -> None:
        """CloudWatch Logs encrypts the log groups, and CloudWatch alarms publish to the
        encrypted alarm topic, with the data key."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:*"
                        )
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )

    def _secret(self, construct_id: str, description: str, length: int) -> secretsmanager.Secret:
        """A secret Secrets Manager generates: letters and digits only, so that it needs no
        quoting anywhere. 43 of them are also a valid base64url encoding of 32 bytes, which
        is what the QR signing key's seed is."""
        # No fixed name: a stage torn down and deployed again must not collide with the old
        # secret, which Secrets Manager keeps for its recovery window. The functions get the ARN.
        made = secretsmanager.Secret(
            self,
            construct_id,
            description=f"DHN {self.stage.name}: {description}",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=length, exclude_punctuation=True, include_space=False
            ),
            # Production's QR key must outlive the stack: its invoices are verified for years.
            removal_policy=RemovalPolicy.RETAIN if self.stage.protect_data else RemovalPolicy.DESTROY,
        )
        CfnOutput(self, f"{construct_id}SecretArn", value=made.secret_arn)
        return made

    def _chalice_config(self) -> dict[str, object]:
        """Stage settings passed to `chalice package` on top of `.chalice/config.json`."""
        stage = self.stage
        return {
            "api_gateway_stage": API_STAGE,
            # Dependencies in a layer of their own: Chalice rebuilds it only when
            # requirements.txt changes, not at every change of the code.
            "automatic_layer": True,
            # Regional: requests stay in the stage's region instead of crossing CloudFront.
            "api_gateway_endpoint_type": "REGIONAL",
            "lambda_memory_size": stage.lambda_memory_mb,
            "lambda_timeout": LAMBDA_TIMEOUT_SECONDS,
            # Each function's role is made below, with only its grants; Chalice makes none.
            "manage_iam_role": False,
            "iam_role_arn": f"arn:aws:iam::{self.account}:role/replaced-per-function",
            "environment_variables": {
                "DHN_STAGE": stage.name,
                "DHN_RESOURCE_PREFIX": stage.prefix,
                "POWERTOOLS_SERVICE_NAME": "dhn",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                signing_keys.NEXT_KEYS_ENV: ",".join(stage.next_qr_keys),
                signing_keys.RETIRED_KEYS_ENV: ",".join(stage.retired_qr_keys),
            },
        }

    def _wire(self, function: Function) -> None:
        """Give one function its role and the real names of what it uses."""
        resource = self.app.get_resource(function.logical_id)
        # Named here, so that its log group and role need no reference to the function, which
        # itself waits for its role's policies.
        physical_name = f"{self.stage.prefix}-{function.logical_id}"
        resource.add_property_override("FunctionName", physical_name)
        log_group = logs.CfnLogGroup(
            self,
            f"Logs-{function.logical_id}",
            log_group_name=f"/aws/lambda/{physical_name}",
            retention_in_days=self.stage.log_retention_days,
            kms_key_id=self.key.key_arn,
        )
        role = self._role(function, log_group)
        resource.add_property_override("Role", role.role_arn)
        # An SQS trigger is refused unless its role may already read the queue.
        resource.node.add_dependency(role)
        environment = {
            "DHN_VAULT_BUCKET": self.vault.bucket_name,
            "DHN_VAULT_KMS_KEY_ID": self.key.key_arn,
            signing_keys.SECRET_ARN_ENV: self.qr_secret.secret_arn,
            sealing.KEY_SECRET_ARN_ENV: self.sealing_secret.secret_arn,
        }
        for name, value in environment.items():
            resource.add_property_override(f"Environment.Variables.{name}", value)
        if isinstance(function.event, SQSEventConfig):
            self._report_failures(resource, function.event)
        elif isinstance(function.event, DynamoDBEventConfig):
            self._read_stream(resource, function.event)

    def _report_failures(self, resource: CfnResource, source: SQSEventConfig) -> None:
        """Point the trigger at the declared queue (so CloudFormation orders them) and let the
        handler return the messages that failed instead of failing the whole batch."""
        event = to_cfn_resource_name(f"{source.name}-sqs-event-source")
        path = f"Events.{event}.Properties"
        resource.add_property_override(f"{path}.Queue", self.queues[queue_of(source)].queue_arn)
        resource.add_property_override(f"{path}.FunctionResponseTypes", ["ReportBatchItemFailures"])

    def _read_stream(self, resource: CfnResource, source: DynamoDBEventConfig) -> None:
        """Point the trigger at the declared table's stream (its ARN is known only once the
        stream exists), invoke the handler only for the records it takes, and let it return
        the records that failed; a batch that keeps failing is bisected, then passed over."""
        model = table_of(source)
        event = to_cfn_resource_name(f"{source.name}-dynamodb-event-source")
        path = f"Events.{event}.Properties"
        table = self.tables[storage.short_table_name(model, self.stage)]
        resource.add_property_override(f"{path}.Stream", table.table_stream_arn)
        resource.add_property_override(f"{path}.FunctionResponseTypes", ["ReportBatchItemFailures"])
        resource.add_property_override(f"{path}.BisectBatchOnFunctionError", True)
        resource.add_property_override(f"{path}.MaximumRetryAttempts", STREAM_RETRIES)
        resource.add_property_override(f"{path}.MaximumRecordAgeInSeconds", STREAM_RECORD_MAX_AGE_SECONDS)
        pattern = schema.STREAM_FILTERS.get(model)
        if pattern is not None:
            resource.add_property_override(
                f"{path}.FilterCriteria", {"Filters": [{"Pattern": json.dumps(pattern)}]}
            )

    def _role(self, function: Function, log_group: logs.CfnLogGroup) -> iam.Role:
        role = iam.Role(
            self,
            f"Role-{function.logical_id}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"DHN {self.stage.name}: {function.name}",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.attr_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            )
        )
        self._grant(role, function)
        return role

    def _grant(self, role: iam.Role, function: Function) -> None:
        needs = access.for_function(function.name)
        tables: dict[str, dynamodb.Table] = self.tables
        for short in tables if needs.tables is None else needs.tables:
            if short in access.APPEND_ONLY:
                self._grant_append_only(role, tables[short])
            else:
                tables[short].grant_read_write_data(role)
        queues: dict[str, sqs.Queue] = self.queues
        for short in queues if needs.sends_to is None else needs.sends_to:
            queues[short].grant_send_messages(role)
        if isinstance(function.event, SQSEventConfig):
            queues[queue_of(function.event)].grant_consume_messages(role)
        elif isinstance(function.event, DynamoDBEventConfig):
            tables[storage.short_table_name(table_of(function.event), self.stage)].grant_stream_read(role)
        if needs.vault:
            self.vault.grant_read_write(role)
        elif needs.vault_copies:
            for waiting in (STAGING_PREFIX, PENDING_PREFIX, DOCUMENTS_PREFIX):
                self.vault.grant_read(role, f"{waiting}*")
            self.vault.grant_put(role, f"{DOCUMENTS_PREFIX}*")
        if needs.qr_signing_key:
            self.qr_secret.grant_read(role)
        if needs.sealing_key:
            self.sealing_secret.grant_read(role)

    def _grant_append_only(self, role: iam.Role, table: dynamodb.Table) -> None:
        """Read the table and put new items, alone or in a transaction; an explicit deny of
        every change keeps it so even if a broader grant is ever added."""
        table.grant(role, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable")
        self.key.grant_encrypt_decrypt(role)
        role.add_to_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=[
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:PartiQLUpdate",
                    "dynamodb:PartiQLDelete",
                ],
                resources=[table.table_arn],
            )
        )

    def _configure_api(self) -> None:
        """Access logs and a throttle on the REST API Chalice declares."""
        access_logs = logs.CfnLogGroup(
            self,
            "ApiAccessLogs",
            retention_in_days=self.stage.log_retention_days,
            kms_key_id=self.key.key_arn,
        )
        api = self.app.get_resource("RestAPI")
        api.add_property_override("Name", f"{self.stage.prefix}-api")
        # API Gateway's X-Ray segments record the full URL, query string included, and so the
        # personal data a URL may carry; the functions' own traces do not.
        api.add_property_override("TracingEnabled", False)
        api.add_property_override(
            "AccessLogSetting", {"DestinationArn": access_logs.attr_arn, "Format": ACCESS_LOG_FORMAT}
        )
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": self.stage.throttle_rate,
                    "ThrottlingBurstLimit": self.stage.throttle_burst,
                    "MetricsEnabled": True,
                    "LoggingLevel": "ERROR",
                    # Full request logging would write bodies, and bodies carry personal data.
                    "DataTraceEnabled": False,
                }
            ],
        )
        # API Gateway writes logs through an account-wide role; declare it so logging works
        # in an account that never had it.
        cloudwatch_role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        # Kept when a stage is torn down: the setting is account-wide, and another stage's
        # API still logs through this role.
        cloudwatch_role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=cloudwatch_role.role_arn
        )
        api.node.add_dependency(account)

    def _limit_rate_per_address(self) -> None:
        """A WAF in front of the API's stage answers 429 to any one address that sends more
        than the stage's limit: the stage's throttle is shared by every caller, so without
        this one noisy client would use it up for all."""
        metric = f"{self.stage.prefix}-api"
        acl = wafv2.CfnWebACL(
            self,
            "ApiWebAcl",
            name=metric,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="requests-per-address",
                    priority=0,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=self.stage.ip_rate_limit,
                            evaluation_window_sec=IP_RATE_WINDOW_SECONDS,
                        )
                    ),
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429)
                        )
                    ),
                    visibility_config=_visibility(f"{metric}-requests-per-address"),
                ),
                # The employer's routes take no token: the share code in the path is the
                # credential, so an address trying codes is held to far fewer requests.
                wafv2.CfnWebACL.RuleProperty(
                    name="employer-codes-per-address",
                    priority=1,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=self.stage.employer_code_rate_limit,
                            evaluation_window_sec=IP_RATE_WINDOW_SECONDS,
                            scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                                    positional_constraint="CONTAINS",
                                    search_string=EMPLOYER_PATHS,
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(
                                            priority=0, type="LOWERCASE"
                                        )
                                    ],
                                )
                            ),
                        )
                    ),
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429)
                        )
                    ),
                    visibility_config=_visibility(f"{metric}-employer-codes-per-address"),
                ),
            ],
            visibility_config=_visibility(metric),
        )
        # `RestAPI.Stage` names the stage SAM declares, and so makes this wait for it.
        stage_arn = Fn.sub(
            "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${RestAPI.Stage}"
        )
        wafv2.CfnWebACLAssociation(
            self, "ApiWebAclAssociation", resource_arn=stage_arn, web_acl_arn=acl.attr_arn
        )
        self._log_blocked_requests(acl)

    def _log_blocked_requests(self, acl: wafv2.CfnWebACL) -> None:
        """Requests the WAF blocked, to see who is limited; never the token, the path or the
        query string, which may carry a matricule (the log group's name must start so)."""
        blocked = logs.CfnLogGroup(
            self,
            "ApiWebAclLogs",
            log_group_name=f"aws-waf-logs-{self.stage.prefix}-api",
            retention_in_days=self.stage.log_retention_days,
            kms_key_id=self.key.key_arn,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "ApiWebAclLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[blocked.attr_arn],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(uri_path={}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                    }
                ],
            },
        )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    """CloudWatch metrics of a rule or of the whole ACL; no sampled requests, which would keep
    whole requests, tokens and paths included, for the console to show."""
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
    )
