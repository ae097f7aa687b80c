"""Twelve devices of one practice look a patient up at once over real HTTP: twelve entries in
the patient's journal, and the patient told once.

In-process moto is not thread-safe, so this runs against the local stack, whose moto server
applies each DynamoDB request atomically, as DynamoDB does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import boto3
import pytest
import requests

from local.stack import Stack, running
from tests.e2e.test_booking_race import DOCTOR_CODE, call, patient, practice

RACERS = 12
MATRICULE = "1893120105732"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


def told(stack: Stack) -> list[dict[str, object]]:
    """The data of every `record.accessed`, read straight from the outbox table in moto."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pages = dynamodb.get_paginator("scan").paginate(TableName="dhn-local-outbox")
    return [
        json.loads(item["data"]["S"])
        for page in pages
        for item in page["Items"]
        if item["type"]["S"] == "record.accessed"
    ]


def test_concurrent_first_accesses_tell_the_patient_once(stack: Stack) -> None:
    device = practice(stack)
    own = patient(stack, MATRICULE)
    gate = threading.Barrier(RACERS)
    statuses: list[int] = []

    def look_up() -> None:
        gate.wait()
        answer = call(stack, "POST", "/patients/status", device, {"matricule": MATRICULE})
        statuses.append(answer.status_code)

    racers = [threading.Thread(target=look_up) for _ in range(RACERS)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert statuses == [200] * RACERS

    journal = requests.get(
        f"{stack.base_url}/v1/patient/access-log?limit=50",
        headers={"Authorization": f"Bearer {own}"},
        timeout=30,
    ).json()["items"]
    lookups = [e for e in journal if e["action"] == "status.lookup"]
    assert len(lookups) == RACERS
    assert all(e["actor"]["id"] == DOCTOR_CODE for e in lookups)
    [notice] = told(stack)
    assert notice["action"] == "status.lookup"
