"""Parallel requests over real HTTP while DynamoDB cancels 3 of every 10 transactions with
`TransactionConflict`, as it does when two touch one item at the same moment: 20 parallel
issuances still give 20 contiguous numbers and no server error, and of 12 patients racing for
one slot one books it and eleven are told it is taken (409).

`chalice local` serves requests on threads and the moto server applies each request alone, so
the races are real; the collisions come from a proxy between the API and moto
(`tests/e2e/colliding_aws.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from local.stack import Stack, running
from tests.e2e.colliding_aws import Collisions, proxy
from tests.e2e.test_booking_race import adults, patient

ISSUERS = 20
RACERS = 12
DOCTOR_CODE = "123456-78"
PATIENT = "1893120105732"
COLLISIONS = Collisions((True, False, False, True, False, False, True, False, False, False))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with ExitStack() as proxies:

        def colliding(moto: str) -> str:
            return proxies.enter_context(proxy(moto, COLLISIONS))

        with running(api_aws=colliding) as started:
            yield started


def post(stack: Stack, path: str, token: str | None, body: Any, key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(f"{stack.base_url}/v1{path}", json=body, headers=headers, timeout=120)


def created(stack: Stack, path: str, token: str | None, body: Any = None) -> dict[str, Any]:
    got = post(stack, path, token, body)
    assert got.status_code == 201, got.text
    return dict(got.json())


@pytest.fixture(scope="module")
def device(stack: Stack) -> str:
    made = created(stack, "/doctors", stack.operator_token, {"doctor_code": DOCTOR_CODE, "name": "Dr A"})
    enrolled = created(
        stack, "/devices", None, {"enrolment_code": made["enrolment_code"], "device_name": "PC"}
    )
    return str(enrolled["token"])


def test_twenty_parallel_issuances_through_colliding_transactions(stack: Stack, device: str) -> None:
    registry = {"matricule": PATIENT, "name": "P", "insurer": "CNS", "digital_admin": "opted_in"}
    created(stack, "/patients", stack.operator_token, {**registry, "app_active": True})
    body = {"patient_matricule": PATIENT, "service_date": date.today().isoformat(), "lines": [{"code": "C1"}]}
    before = COLLISIONS.cancelled
    gate = threading.Barrier(ISSUERS)

    def issue(n: int) -> requests.Response:
        gate.wait()
        return post(stack, "/invoices", device, body, key=f"pc1-{n}")

    with ThreadPoolExecutor(ISSUERS) as pool:
        answers = list(pool.map(issue, range(ISSUERS)))

    assert [a.text for a in answers if a.status_code != 201] == []
    assert COLLISIONS.cancelled - before >= 6
    numbers = sorted(int(a.json()["number"].split("-")[1]) for a in answers)
    assert numbers == list(range(1, ISSUERS + 1))
    # Each issuance put its one copy in place.
    s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    listed = s3.list_objects_v2(Bucket=f"{stack.env['DHN_RESOURCE_PREFIX']}-vault", Prefix="documents/")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(
        f"documents/{a.json()['vault']['document_id']}.pdf" for a in answers
    )


def test_twelve_patients_race_for_one_slot_through_colliding_transactions(stack: Stack, device: str) -> None:
    every_day: list[dict[str, Any]] = [
        {"weekday": day, "start": "00:00", "end": "23:30"} for day in range(1, 8)
    ]
    hours = requests.put(
        f"{stack.base_url}/v1/practice/availability",
        json={"slot_minutes": 30, "weekly": every_day},
        headers={"Authorization": f"Bearer {device}"},
        timeout=30,
    )
    assert hours.status_code == 200, hours.text
    tokens = [patient(stack, m) for m in adults(RACERS)]
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    before = COLLISIONS.cancelled
    gate = threading.Barrier(RACERS)

    def race(pair: tuple[int, str]) -> int:
        n, token = pair
        gate.wait()
        booking = {"doctor_code": DOCTOR_CODE, "start": start.isoformat()}
        return post(stack, "/appointments", token, booking, key=f"book-{n}").status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(race, enumerate(tokens)))
    assert statuses == [201] + [409] * (RACERS - 1)
    assert COLLISIONS.cancelled > before
