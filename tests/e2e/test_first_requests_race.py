"""A freshly started local stack takes 20 parallel issuances as its very first invoice requests:
20 × 201 with 20 distinct, contiguous numbers.

Nothing has touched invoices yet, so the 20 threads of `chalice local` race for everything made
on first use: the modules imported inside functions, the AWS clients, the signing key, the PDF
and QR libraries. Any of those made twice at once, or seen half made, was a 500.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
import requests

from local.stack import Stack, running

RACERS = 20
DOCTOR_CODE = "555555-55"
PATIENT = "1893120105732"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


def created(stack: Stack, path: str, token: str | None, body: Any = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    got = requests.post(f"{stack.base_url}/v1{path}", json=body, headers=headers, timeout=60)
    assert got.status_code == 201, got.text
    return dict(got.json())


def test_twenty_parallel_issuances_on_a_fresh_stack(stack: Stack) -> None:
    made = created(stack, "/doctors", stack.operator_token, {"doctor_code": DOCTOR_CODE, "name": "Dr A"})
    device = created(stack, "/devices", None, {"enrolment_code": made["enrolment_code"], "device_name": "PC"})
    # Opted in, so each issuance also renders the PDF and puts it in the vault.
    registry = {"matricule": PATIENT, "name": "P", "insurer": "CNS", "digital_admin": "opted_in"}
    created(stack, "/patients", stack.operator_token, {**registry, "app_active": True})
    body: dict[str, Any] = {
        "patient_matricule": PATIENT,
        "service_date": date.today().isoformat(),
        "lines": [{"code": "C1"}],
    }
    gate = threading.Barrier(RACERS)

    def issue(_: int) -> requests.Response:
        gate.wait()
        return requests.post(
            f"{stack.base_url}/v1/invoices",
            json=body,
            headers={"Authorization": f"Bearer {device['token']}"},
            timeout=120,
        )

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(issue, range(RACERS)))

    failed = [a.text for a in answers if a.status_code != 201]
    assert failed == []
    numbers = [a.json()["number"] for a in answers]
    years = {number.split("-")[0] for number in numbers}
    assert len(years) == 1
    assert sorted(int(number.split("-")[1]) for number in numbers) == list(range(1, RACERS + 1))
    assert len({a.json()["id"] for a in answers}) == RACERS
