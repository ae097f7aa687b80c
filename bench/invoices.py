"""Issuing invoices in-process under moto: AWS calls per issuance and latency.

Targets: at most 6 AWS calls per issuance (with an Idempotency-Key), no Scan on any request
path; latency is reported (median, p95) over 200 invoices.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections import Counter
from typing import Any

ITERATIONS = 200
OPERATOR = "bench-operator"


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_REGION": "eu-central-1",
            "DHN_STAGE": "bench",
            "DHN_OPERATOR_TOKEN": OPERATOR,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from chalicelib import qr_keys, webhook_secrets

    os.environ.setdefault("DHN_QR_SIGNING_KEY", qr_keys.generate_seed())
    # Seals the answers kept for idempotent replay.
    os.environ.setdefault("DHN_WEBHOOK_KEY", webhook_secrets.generate_key())


def _post(client: Any, path: str, token: str | None, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if key:
        headers["idempotency-key"] = key
    answer = client.http.post(path, headers=headers, body=json.dumps(body).encode())
    assert answer.status_code == 201, answer.body
    return json.loads(answer.body)


def run(iterations: int = ITERATIONS) -> dict[str, float]:
    _environment()
    from chalice.test import Client
    from moto import mock_aws

    from bench.awscalls import counting

    with mock_aws(), counting() as calls:
        from chalicelib.store import provision

        provision.create_all()
        from app import app

        with Client(app) as client:
            code = _post(client, "/v1/doctors", OPERATOR, {"doctor_code": "12345678", "name": "Dr Bench"})
            token = _post(
                client, "/v1/devices", None, {"enrolment_code": code["enrolment_code"], "device_name": "PC"}
            )["token"]
            patient = {
                "matricule": "1893120105732",
                "name": "Bench Patient",
                "insurer": "CNS",
                "digital_admin": "opted_in",
                "app_active": True,
            }
            _post(client, "/v1/patients", OPERATOR, patient)
            body = {
                "patient_matricule": "1893120105732",
                "service_date": time.strftime("%Y-%m-%d", time.gmtime()),
                "lines": [{"code": "C1", "quantity": 1}],
                "payment": {"method": "card", "amount_cents": 5770},
            }
            _post(client, "/v1/invoices", token, body, key=str(uuid.uuid4()))  # warm-up: lazy imports
            timings: list[float] = []
            calls_per_issue: list[int] = []
            operations: Counter[str] = Counter()
            for _ in range(iterations):
                before = calls.copy()
                started = time.perf_counter()
                _post(client, "/v1/invoices", token, body, key=str(uuid.uuid4()))
                timings.append((time.perf_counter() - started) * 1000)
                made = calls - before
                calls_per_issue.append(sum(made.values()))
                operations.update(made)
    scans = sum(n for name, n in operations.items() if name.endswith((".Scan", ".ScanItems")))
    timings.sort()
    return {
        "issuance_median_ms": statistics.median(timings),
        "issuance_p95_ms": timings[int(len(timings) * 0.95) - 1],
        "aws_calls_per_issuance": max(calls_per_issue),
        "scans_on_request_path": scans,
        **{f"calls.{name}": n / iterations for name, n in sorted(operations.items())},
    }


if __name__ == "__main__":
    figures = run()
    for name, value in figures.items():
        print(f"{name:32} {value:10.2f}")
