"""Twelve patients race for one slot over real HTTP: exactly one books it.

In-process moto is not thread-safe, so this runs against the local stack: `chalice local`
serves requests on threads and the moto server applies each DynamoDB request atomically,
as DynamoDB does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from stdnum import luhn, verhoeff

from local.stack import Stack, running

DOCTOR_CODE = "123456-78"
RACERS = 12


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


def call(stack: Stack, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{stack.base_url}/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def adults(count: int) -> list[str]:
    """Valid matricules of people born on 1 January 1980."""
    bodies = [f"1980010{serial:04d}" for serial in range(count)]
    return [body + luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body) for body in bodies]


def practice(stack: Stack) -> str:
    made = call(stack, "POST", "/doctors", stack.operator_token, {"doctor_code": DOCTOR_CODE, "name": "Dr A"})
    assert made.status_code == 201, made.text
    enrolled = requests.post(
        f"{stack.base_url}/v1/devices",
        json={"enrolment_code": made.json()["enrolment_code"], "device_name": "PC"},
        timeout=30,
    )
    assert enrolled.status_code == 201, enrolled.text
    return str(enrolled.json()["token"])


def patient(stack: Stack, matricule: str) -> str:
    registry = {"matricule": matricule, "name": "P", "insurer": "CNS", "digital_admin": "opted_in"}
    made = call(stack, "POST", "/patients", stack.operator_token, {**registry, "app_active": True})
    assert made.status_code == 201, made.text
    token = call(stack, "POST", f"/patients/{made.json()['patient_id']}/tokens", stack.operator_token)
    assert token.status_code == 201, token.text
    return str(token.json()["token"])


def test_twelve_patients_race_for_one_slot(stack: Stack) -> None:
    doctor = practice(stack)
    every_day = [{"weekday": day, "start": "00:00", "end": "23:30"} for day in range(1, 8)]
    hours = call(stack, "PUT", "/practice/availability", doctor, {"slot_minutes": 30, "weekly": every_day})
    assert hours.status_code == 200, hours.text
    tokens = [patient(stack, m) for m in adults(RACERS)]
    today = datetime.now(UTC).date()
    query = f"?from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    slots = call(stack, "GET", f"/doctors/{DOCTOR_CODE}/slots{query}", tokens[0]).json()["items"]
    start = slots[2]["start"]  # an hour ahead or more: still in the future when they race

    gate = threading.Barrier(RACERS)

    def race(token: str) -> int:
        gate.wait()
        booked = call(stack, "POST", "/appointments", token, {"doctor_code": DOCTOR_CODE, "start": start})
        return booked.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(race, tokens))
    assert statuses == [201] + [409] * (RACERS - 1)

    after = call(stack, "GET", f"/doctors/{DOCTOR_CODE}/slots{query}", tokens[0]).json()["items"]
    assert start not in [s["start"] for s in after]
    agenda = call(stack, "GET", f"/practice/appointments?date={start[:10]}", doctor).json()["items"]
    assert [a["start"] for a in agenda] == [start]
