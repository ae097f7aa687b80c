"""Issuing invoices through the API, in-process on moto: AWS calls per issuance and latency,
then the same with 20 % of the transactions cancelled by `TransactionConflict`.

Targets: at most 5 AWS calls per issuance with an Idempotency-Key, whose record commits in
the issuing transaction (the credential, the snapshot, the staged copy, the transaction, the
copy put in place; `calls.*` lists them), and no Scan on the request path. Latency (median,
p95) is reported over 200 invoices, after one warm-up issuance that pays for the lazy imports;
it includes moto, which stands in for AWS. Under collisions, each cancelled transaction is
tried again after a pause with jitter: retries per issuance, and what they cost in latency.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import botocore.client
from botocore.exceptions import ClientError

from bench import fakeaws

ITERATIONS = 200
# One transaction in five is cancelled, as DynamoDB does when two touch one item at once.
COLLIDING = 5
TARGETS = {"aws_calls_per_issuance": 5.0, "scans_on_request_path": 0.0, "colliding_server_errors": 0.0}


def run(iterations: int = ITERATIONS) -> dict[str, float]:
    timings: list[float] = []
    calls_per_issue: list[int] = []
    operations: Counter[str] = Counter()
    with fakeaws.api() as api:
        token = api.doctor()
        api.patient()
        api.invoice(token, key=str(uuid.uuid4()))
        for _ in range(iterations):
            with api.meter.window() as made:
                started = time.perf_counter()
                api.invoice(token, key=str(uuid.uuid4()))
                timings.append((time.perf_counter() - started) * 1000)
            calls_per_issue.append(sum(made.calls.values()))
            operations.update(made.calls)
        colliding = _colliding(api, token, iterations)
    scans = sum(n for name, n in operations.items() if name.endswith(".Scan"))
    return {
        "issuance_median_ms": statistics.median(timings),
        "issuance_p95_ms": statistics.quantiles(timings, n=20)[-1],
        "aws_calls_per_issuance": max(calls_per_issue),
        "scans_on_request_path": scans,
        **{f"calls.{name}": n / iterations for name, n in sorted(operations.items())},
        **colliding,
    }


def _colliding(api: fakeaws.Api, token: str, iterations: int) -> dict[str, float]:
    timings: list[float] = []
    retries: list[int] = []
    errors = 0
    with cancelling_every(COLLIDING) as cancelled:
        for _ in range(iterations):
            earlier = cancelled[0]
            started = time.perf_counter()
            answer = api.client.http.post(
                "/v1/invoices",
                headers=api.headers(token, str(uuid.uuid4())),
                body=json.dumps(_body()).encode(),
            )
            timings.append((time.perf_counter() - started) * 1000)
            errors += answer.status_code >= 500
            # Each cancelled attempt is tried again.
            retries.append(cancelled[0] - earlier)
    return {
        "colliding_share": cancelled[0] / (cancelled[1] or 1),
        "colliding_issuance_median_ms": statistics.median(timings),
        "colliding_issuance_p95_ms": statistics.quantiles(timings, n=20)[-1],
        "colliding_retries_per_issuance": statistics.mean(retries),
        "colliding_most_retries": float(max(retries)),
        "colliding_server_errors": float(errors),
    }


def _body() -> dict[str, Any]:
    return {
        "patient_matricule": fakeaws.PATIENT,
        "service_date": time.strftime("%Y-%m-%d", time.gmtime()),
        "lines": [{"code": "C1", "quantity": 1}],
        "payment": {"method": "card", "amount_cents": 5770},
    }


@contextmanager
def cancelling_every(nth: int) -> Iterator[list[int]]:
    """Every `nth` TransactWriteItems is cancelled before it reaches moto; [cancelled, all]."""
    real = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009 (private, untyped)
    tally = [0, 0]

    def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            tally[1] += 1
            if tally[1] % nth == 0:
                tally[0] += 1
                reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (
                    len(params["TransactItems"]) - 1
                )
                error: Any = {
                    "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": reasons,
                }
                raise ClientError(error, operation)
        return real(client, operation, params)

    with patch.object(botocore.client.BaseClient, "_make_api_call", call):
        yield tally


if __name__ == "__main__":
    from bench import table

    table.main(["bench.invoices"])
