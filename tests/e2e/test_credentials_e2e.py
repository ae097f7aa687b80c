"""Credentials over real HTTP, against the local stack: two PCs racing with one enrolment code
get one token between them, as do two rotations of one token, and the operator command line
works on the stack's AWS endpoint.

In-process moto is not thread-safe, so the races run here: `chalice local` serves requests on
threads and the moto server applies each DynamoDB request atomically, as DynamoDB does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from local.stack import ROOT, Stack, running
from tests.matricules import matricule

ROUNDS = 5


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running() as started:
        yield started


def call(
    stack: Stack, method: str, path: str, token: str | None = None, body: Any = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{stack.base_url}/v1{path}", json=body, headers=headers, timeout=30)


def ops(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m ops --stage local` on the stack's AWS endpoint, in a shell of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DHN_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "ops", "--stage", "local", "--endpoint", stack.aws_endpoint, *args],
        cwd=ROOT,
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_pcs_racing_with_one_code_get_one_token(stack: Stack, round_: int) -> None:
    doctor = {"doctor_code": f"12345{round_}-78", "name": "Dr Anne Weber"}
    made = call(stack, "POST", "/doctors", stack.operator_token, doctor)
    assert made.status_code == 201, made.text
    body = {"enrolment_code": made.json()["enrolment_code"], "device_name": "PC"}
    gate = threading.Barrier(2)

    def enrol(_: int) -> requests.Response:
        gate.wait()
        return call(stack, "POST", "/devices", None, body)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(enrol, range(2)))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    (won,) = [a.json() for a in answers if a.status_code == 201]
    assert (
        call(stack, "GET", "/practice/devices", won["token"]).json()["items"][0]["device_id"]
        == won["device_id"]
    )


def test_two_rotations_of_one_token_give_one_new_token(stack: Stack) -> None:
    token = call(stack, "POST", "/insurers/CNS/tokens", stack.operator_token).json()["token"]
    gate = threading.Barrier(2)

    def rotate(_: int) -> requests.Response:
        gate.wait()
        return call(stack, "POST", "/sessions/rotate", token)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(rotate, range(2)))
    assert sorted(a.status_code for a in answers) == [201, 401], [a.text for a in answers]
    (new,) = [a.json()["token"] for a in answers if a.status_code == 201]
    assert call(stack, "GET", "/insurer/claims", new).status_code == 200
    assert call(stack, "GET", "/insurer/claims", token).status_code == 401


def test_the_command_line_works_on_the_local_stack(stack: Stack, tmp_path: Path) -> None:
    minted = ops(stack, "token", "mint", "Luc Muller")
    assert minted.returncode == 0, minted.stderr
    printed = dict(line.split(": ", 1) for line in minted.stdout.splitlines() if ": " in line)
    operator = printed["token"]
    assert call(stack, "POST", "/insurers/CNS/tokens", operator).status_code == 201

    patients = [
        {"matricule": matricule("19700101", f"{i:03d}"), "name": f"P {i}", "insurer": "CNS"}
        | {"digital_admin": "opted_in", "app_active": True}
        for i in range(1, 41)
    ]
    patients[7]["insurer"] = "AXA"
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(p) + "\n" for p in patients))
    imported = ops(stack, "registry", "import", str(feed))
    assert imported.returncode == 0, imported.stderr
    assert "created 39, updated 0, refused 1 (40 lines done)" in imported.stdout
    doctor = {"doctor_code": "654321-98", "name": "Dr Paul Kremer"}
    onboarded = call(stack, "POST", "/doctors", operator, doctor)
    assert onboarded.status_code == 201, onboarded.text

    revoked = ops(stack, "token", "revoke", printed["token_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert call(stack, "POST", "/insurers/CNS/tokens", operator).status_code == 401
