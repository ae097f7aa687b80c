"""API tests: the real Chalice app through `chalice.test.Client`, on moto in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.core import clock
from chalicelib.core.clock import FixedClock
from local import receiver as receivers

OPERATOR = "operator-test-token"
DOCTOR_CODE = "123456-78"
ADULT = "1893120105732"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """A thin caller that speaks JSON with a bearer token, like practice software would."""

    def __init__(self, client: Client) -> None:
        self.client = client
        # The patient_id of each patient registered through this caller, by matricule.
        self.ids: dict[str, str] = {}

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"content-type": "application/json", **(headers or {})}
        if token:
            sent["authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else "")
        answer = self.client.http.request(method, path, headers=sent, body=raw.encode())
        return Answer(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.body)

    def get(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, token, body, **kw)

    def put(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("PUT", path, token, body, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return self.call("DELETE", path, token, **kw)

    def pages(self, path: str, token: str, limit: int) -> list[list[dict[str, Any]]]:
        """Every page of a list, following `next_cursor` until it is null."""
        pages: list[list[dict[str, Any]]] = []
        cursor = None
        while cursor is not None or not pages:
            assert len(pages) < 50, "the cursor never ends"
            joiner = "&" if "?" in path else "?"
            query = f"{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            got = self.get(f"{path}{query}", token)
            assert got.status == 200, got.body
            assert len(got.json["items"]) <= limit
            pages.append(got.json["items"])
            cursor = got.json["next_cursor"]
        return pages

    # The onboarding steps most tests start from.

    def doctor(self, code: str = DOCTOR_CODE, name: str = "Dr Anne Weber") -> str:
        """Register a doctor and enrol its first PC; the PC's token."""
        made = self.post(
            "/v1/doctors", OPERATOR, {"doctor_code": code, "name": name, "specialty": "Médecine générale"}
        )
        assert made.status == 201, made.body
        return self.enrol(made.json["enrolment_code"])

    def enrol(self, code: str, name: str = "PC accueil") -> str:
        enrolled = self.post("/v1/devices", None, {"enrolment_code": code, "device_name": name})
        assert enrolled.status == 201, enrolled.body
        return str(enrolled.json["token"])

    def register(
        self,
        matricule: str = ADULT,
        insurer: str = "CNS",
        opted_in: bool = True,
        guardians: tuple[str, ...] = (),
        name: str = "Marie Schmit",
    ) -> str:
        """Register a patient; their patient_id."""
        body: dict[str, Any] = {
            "matricule": matricule,
            "name": name,
            "insurer": insurer,
            "digital_admin": "opted_in" if opted_in else "opted_out",
            "app_active": True,
        }
        if guardians:
            body["guardians"] = list(guardians)
        made = self.post("/v1/patients", OPERATOR, body)
        assert made.status == 201, made.body
        self.ids[matricule] = str(made.json["patient_id"])
        return self.ids[matricule]

    def login(self, matricule: str = ADULT) -> str:
        """A registered patient's new token: one lasts 12 hours, so a test that moves the
        clock further logs the patient in again."""
        return self.token(self.ids[matricule])

    def token(self, patient_id: str) -> str:
        """A patient's token, as their eSanté login would give it."""
        token = self.post(f"/v1/patients/{patient_id}/tokens", OPERATOR)
        assert token.status == 201, token.body
        return str(token.json["token"])

    def patient(self, matricule: str = ADULT, insurer: str = "CNS", opted_in: bool = True) -> str:
        """Register a patient; their token."""
        return self.token(self.register(matricule, insurer, opted_in))

    def insurer(self, name: str = "CNS") -> str:
        made = self.post(f"/v1/insurers/{name}/tokens", OPERATOR)
        assert made.status == 201, made.body
        return str(made.json["token"])

    def invoice(self, token: str, matricule: str = ADULT, **fields: Any) -> Answer:
        body = {
            "patient_matricule": matricule,
            "service_date": "2026-11-20",
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 5770},
            **fields,
        }
        return self.post("/v1/invoices", token, body)


@pytest.fixture
def fixed_clock() -> Iterator[FixedClock]:
    previous = clock.current()
    fixed = FixedClock(NOW)
    clock.use(fixed)
    yield fixed
    clock.use(previous)


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """Moto with every table, bucket and queue, made once per module: creating them costs far
    more than emptying them, which `api` does after each test."""
    with mock_aws():
        from chalicelib.store import provision

        provision.create_all()
        yield


@pytest.fixture
def api(aws: None, fixed_clock: FixedClock) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        yield Api(client)
    _empty_all()


def _empty_all() -> None:
    """Delete every item, object and message, keeping the resources. It scans, which suits a
    test's handful of items; no code path of the service does."""
    import boto3

    from chalicelib.core import config
    from chalicelib.store import schema

    dynamodb = boto3.client("dynamodb")
    for model in schema.MODELS:
        keys = [a.attr_name for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
        scan = dynamodb.get_paginator("scan").paginate(
            TableName=model.Meta.table_name,
            ProjectionExpression=", ".join(f"#{i}" for i in range(len(keys))),
            ExpressionAttributeNames={f"#{i}": name for i, name in enumerate(keys)},
        )
        for page in scan:
            for item in page["Items"]:
                dynamodb.delete_item(TableName=model.Meta.table_name, Key=item)
    s3 = boto3.client("s3")
    for bucket in schema.bucket_names():
        for listing in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    sqs = boto3.client("sqs")
    for short in schema.QUEUES:
        # Made anew rather than purged: SQS allows one purge a minute, and delayed messages
        # cannot be received to delete them one by one.
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=config.queue_name(short))["QueueUrl"])
        sqs.create_queue(QueueName=config.queue_name(short))


# Webhooks: the local worker's loop and a receiver that verifies what it gets.


class Rounds:
    """The local worker's loop, one round at a time: the outbox stream, the schedules and the
    queue, by the handlers Lambda calls."""

    def __init__(self) -> None:
        from local import worker

        self.jobs = worker.jobs()

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            for job in self.jobs:
                job()


@pytest.fixture
def rounds(api: Api) -> Rounds:
    """Made before the test writes anything: the worker reads the stream from its start."""
    return Rounds()


@pytest.fixture
def receiver() -> Iterator[receivers.Receiver]:
    with receivers.running() as running:
        yield running
