"""Issuing invoices through the API, in-process on moto: AWS calls per issuance and latency.

Targets: at most 6 AWS calls per issuance (with an Idempotency-Key), and no Scan on the
request path. Latency (median, p95) is reported over 200 invoices, after one warm-up issuance
that pays for the lazy imports; it includes moto, which stands in for AWS.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import Counter

from bench import fakeaws

ITERATIONS = 200
TARGETS = {"aws_calls_per_issuance": 6.0, "scans_on_request_path": 0.0}


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
    scans = sum(n for name, n in operations.items() if name.endswith(".Scan"))
    return {
        "issuance_median_ms": statistics.median(timings),
        "issuance_p95_ms": statistics.quantiles(timings, n=20)[-1],
        "aws_calls_per_issuance": max(calls_per_issue),
        "scans_on_request_path": scans,
        **{f"calls.{name}": n / iterations for name, n in sorted(operations.items())},
    }


if __name__ == "__main__":
    from bench import table

    table.main(["bench.invoices"])
