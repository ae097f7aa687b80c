"""Structured JSON logs (Powertools) with the request id as correlation id, and metrics in
CloudWatch's embedded metric format.

Log keys, never values that identify a person: no matricule, name, token or secret.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics


@functools.cache
def logger() -> Logger:
    # Created on first use: importing Powertools' logging costs cold-start time.
    from aws_lambda_powertools import Logger

    return Logger(service="dhn")


@functools.cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace="DHN", service="dhn")


def count(name: str, value: int) -> None:
    """Publish a count at once. Nothing is published for zero, so that a schedule that runs
    every few seconds on a laptop does not flood its log; CloudWatch reads no data as zero."""
    if value <= 0:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    published = metrics()
    published.add_metric(name=name, unit=MetricUnit.Count, value=value)
    published.flush_metrics()
