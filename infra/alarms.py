"""The alarms of a stage, sent to one SNS topic: dead letters, overdue claims, the API's 5xx
rate and every Lambda function's errors."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.core import observability
from infra.stages import API_STAGE, Stage

# A stage whose API answers more than this share of requests with a 5xx is failing users.
SERVER_ERROR_RATE = 0.05
PERIOD = Duration.minutes(5)

Raise = Callable[[str, str, cloudwatch.IMetric, float], None]


def metrics_namespace(stage: Stage) -> str:
    """Where the app's business metrics land: chalicelib.core.observability names it so too."""
    return stage.prefix


def declare(
    scope: Construct,
    stage: Stage,
    key: kms.IKey,
    functions: dict[str, str],
    queues: dict[str, sqs.Queue],
) -> None:
    """`functions` maps each function's logical id to its physical name."""
    topic = sns.Topic(scope, "Alarms", topic_name=f"{stage.prefix}-alarms", master_key=key, enforce_ssl=True)
    if stage.alarm_email:
        topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
    alarm = _raiser(scope, stage, topic)
    for short, queue in queues.items():
        dead = queue.dead_letter_queue
        if dead is not None:
            visible = dead.queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            )
            alarm(f"DeadLetters-{short}", f"messages of {short} are in its dead-letter queue", visible, 0)
    overdue = cloudwatch.Metric(
        namespace=metrics_namespace(stage),
        metric_name=observability.CLAIMS_OVERDUE,
        dimensions_map={"service": "dhn"},
        statistic="Maximum",
        period=PERIOD,
    )
    alarm("OverdueClaims", "claims wait for an insurer's decision past their deadline", overdue, 0)
    server_errors = cloudwatch.Metric(
        namespace="AWS/ApiGateway",
        metric_name="5XXError",
        dimensions_map={"ApiName": f"{stage.prefix}-api", "Stage": API_STAGE},
        statistic="Average",
        period=PERIOD,
    )
    alarm(
        "ServerErrors",
        f"over {SERVER_ERROR_RATE:.0%} of API requests failed",
        server_errors,
        SERVER_ERROR_RATE,
    )
    for logical_id, name in functions.items():
        errors = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions_map={"FunctionName": name},
            statistic="Sum",
            period=PERIOD,
        )
        alarm(f"Errors-{logical_id}", f"{logical_id} raised errors", errors, 0)


def _raiser(scope: Construct, stage: Stage, topic: sns.ITopic) -> Raise:
    def alarm(construct_id: str, description: str, metric: cloudwatch.IMetric, threshold: float) -> None:
        made = cloudwatch.Alarm(
            scope,
            f"Alarm-{construct_id}",
            alarm_name=f"{stage.prefix}-{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # No data means nothing happened: no requests, no messages, no claims counted.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        made.add_alarm_action(actions.SnsAction(topic))
        made.add_ok_action(actions.SnsAction(topic))

    return alarm
