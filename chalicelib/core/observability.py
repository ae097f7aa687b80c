"""Structured JSON logs (Powertools) with the request id as correlation id, and business
metrics in CloudWatch's embedded metric format, written once at the end of each invocation.

Log keys, never values that identify a person: no matricule, name, token or secret. Metrics are
counts without dimensions that could identify anyone either.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

# Metric names: the code that counts and the alarms in infra/ share these.
INVOICES_ISSUED = "InvoicesIssued"
CLAIMS_SUBMITTED = "ClaimsSubmitted"
CLAIMS_DECIDED = "ClaimsDecided"
CLAIMS_OVERDUE = "ClaimsOverdue"
WEBHOOK_FAILURES = "WebhookFailures"
DEAD_LETTERS = "DeadLetters"


@functools.cache
def logger() -> Logger:
    # Created on first use: importing Powertools' logging costs cold-start time.
    from aws_lambda_powertools import Logger

    return Logger(service="dhn")


@functools.cache
def _metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    from chalicelib.core import config

    # One namespace per stage (`dhn-prod`): infra/'s alarms read the metrics from there.
    return Metrics(namespace=config.resource_prefix(), service="dhn")


def metric(name: str, value: float = 1) -> None:
    """Count `value` of `name` (one of the names above) in this invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    _metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Write the counts of this invocation and start afresh; called once per invocation by the
    app's middleware. Costs nothing in an invocation that counted nothing."""
    if _metrics.cache_info().currsize == 0:
        return
    metrics = _metrics()
    if not metrics.metric_set:
        return
    try:
        metrics.flush_metrics()
    except Exception as exc:  # a lost count must never fail the request that made it
        logger().error("metrics not written", extra={"error_type": type(exc).__name__})
    # Where metrics are switched off, flushing keeps them; they must not pile up.
    metrics.clear_metrics()
