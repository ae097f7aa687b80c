"""The contract, fuzzed: schemathesis runs the examples, coverage and fuzzing phases of
`openapi.yaml` with every check against the local stack over real HTTP, with every role's token,
and finds no server error and no answer the contract does not describe.

The stack is seeded first through the API: a practice (a doctor's and an assistant's device,
opening hours), a registered patient with two invoices, a claim, an appointment, a webhook
endpoint that has deliveries, an entry in their access journal, a relative they act for, a
child whose guardian they are, two prescriptions, a certificate shared with an employer, an
insurer and a pharmacy. What was seeded is among the values the fuzzer draws
(ids in paths and queries, slots, invoice ids and QR codes in bodies), so routes answer more than 404.
Runs are bounded (`MAX_EXAMPLES` per operation, one seed) to keep the test within a few
minutes; nothing leaves 127.0.0.1 (`fuzz_hooks` pins webhook URLs there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml

from local import stack as local_stack
from tests.e2e import fuzz_hooks

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.yaml"
TIMEOUT = 30
MAX_EXAMPLES = 8
SEED = 20261201
DOCTOR_CODE = "123456-78"
CHILD = "2015061200178"
EVERY_PHASE = "examples,coverage,fuzzing"
# The fuzzer learns ids from answers: given the device list, it revokes the doctor's own device.
REVOKE = "DELETE /practice/devices/{device_id}"
# Never fuzzed: each ends the token the run sends, which the rest of the run (and, for the
# seeded tokens, every later run) needs. `tests/api/test_sessions.py` holds them to the contract.
ENDS_ITS_OWN_TOKEN = {"DELETE /sessions/current", "POST /sessions/rotate"}
# What schemathesis allows a valid request besides success; 422 only for a field that names its
# rule (`fuzz_hooks.refusals_name_their_rule` holds the server to that).
VALID_REQUEST_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@dataclass(frozen=True)
class Run:
    """One schemathesis run: a role's token on the operations it may call (or some of them)."""

    role: str
    phases: str = EVERY_PHASE
    only: str | None = None
    without: str | None = None

    @property
    def name(self) -> str:
        return f"{self.role}-revoke" if self.only == REVOKE else self.role


# Two lanes at once, one per core, each run in one worker: schemathesis's own workers share a
# process, where hypothesis compiles the descriptions of its strategies without a lock.
LANES = (
    (
        Run("public"),
        Run("doctor", without=REVOKE),
        # The practice's routes again with an assistant's token; the doctor's run covered their schemas.
        Run("assistant", phases="examples,fuzzing"),
        # Last: the doctor's token may not outlive it.
        Run("doctor", only=REVOKE),
    ),
    (
        Run("insurer"),
        Run("patient"),
        # Late, as it may replace the seeded patient's record with whatever it draws.
        Run("operator"),
        Run("pharmacist"),
    ),
)


class Seeder:
    """Calls that set up the data the fuzzer starts from."""

    def __init__(self, stack: local_stack.Stack) -> None:
        self.base = f"{stack.base_url}/v1"
        self.operator = stack.operator_token

    def call(self, method: str, path: str, token: str | None, body: Any = None, status: int = 201) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        got = requests.request(method, f"{self.base}{path}", headers=headers, json=body, timeout=TIMEOUT)
        assert got.status_code == status, got.text
        return got.json() if got.content else None

    def enrol(self, code: str, name: str) -> str:
        enrolled = self.call("POST", "/devices", None, {"enrolment_code": code, "device_name": name})
        return str(enrolled["token"])

    def deliveries(self, token: str, endpoint_id: str) -> list[str]:
        """The deliveries to an endpoint, once the worker has made them."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = self.call("GET", f"/webhooks/{endpoint_id}/deliveries", token, status=200)["items"]
            if found:
                return [delivery["id"] for delivery in found]
            time.sleep(0.2)
        raise AssertionError("no delivery was made")


def seed(stack: local_stack.Stack) -> dict[str, Any]:
    """Every role's token, and values of what each may reach, by the name of the input."""
    api = Seeder(stack)
    made = api.call("POST", "/doctors", api.operator, {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber"})
    doctor = api.enrol(made["enrolment_code"], "PC cabinet")
    code = api.call("POST", "/practice/enrolment-codes", doctor, {"role": "assistant"})["enrolment_code"]
    assistant = api.enrol(code, "PC accueil")
    registered = {"name": "Marie Schmit", "insurer": "CNS", "digital_admin": "opted_in", "app_active": True}
    patient_id = api.call("POST", "/patients", api.operator, {"matricule": fuzz_hooks.PATIENT, **registered})[
        "patient_id"
    ]
    patient = api.call("POST", f"/patients/{patient_id}/tokens", api.operator)["token"]
    insurer = api.call("POST", "/insurers/CNS/tokens", api.operator)["token"]
    # A relative the patient acts for, so `for=` reaches their data.
    relative = {**registered, "name": "Paul Schmit", "matricule": fuzz_hooks.RELATIVE}
    relative_id = api.call("POST", "/patients", api.operator, relative)["patient_id"]
    relative_token = api.call("POST", f"/patients/{relative_id}/tokens", api.operator)["token"]
    link = api.call(
        "POST", "/patient/relatives", patient, {"matricule": fuzz_hooks.RELATIVE, "relationship": "spouse"}
    )
    api.call("POST", f"/patient/relatives/{link['link_id']}/accept", relative_token, status=200)
    # A child in the patient's parental authority, so `for=` reaches the record's settings too.
    child = {**registered, "name": "Léa Schmit", "matricule": CHILD, "guardians": [fuzz_hooks.PATIENT]}
    child_id = api.call("POST", "/patients", api.operator, child)["patient_id"]
    api.call("POST", "/patient/relatives", patient, {"matricule": CHILD, "relationship": "child"})
    # The operator's run may revoke the token of this id: no other run uses it.
    spare = api.call("POST", f"/patients/{relative_id}/tokens", api.operator)["token_id"]
    api.call("POST", "/patients/status", doctor, {"matricule": fuzz_hooks.PATIENT}, status=200)
    endpoints = [
        api.call("POST", "/webhooks", owner, {"url": "http://127.0.0.1:9/hook"})
        for owner in (patient, doctor)
    ]
    weekly = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(1, 8)]
    api.call("PUT", "/practice/availability", doctor, {"slot_minutes": 30, "weekly": weekly}, status=200)
    # One instant for the service date and the payment, so that a seed run at midnight in
    # Luxembourg never pays the day before the service.
    paid_at = datetime.now(UTC) - timedelta(minutes=1)
    today = paid_at.astimezone(ZoneInfo("Europe/Luxembourg")).date().isoformat()
    invoice = {"patient_matricule": fuzz_hooks.PATIENT, "service_date": today, "lines": [{"code": "C1"}]}
    paid = {"payment": {"method": "card", "amount_cents": 5770}}
    invoices = [api.call("POST", "/invoices", doctor, {**invoice, **extra}) for extra in (paid, {})]
    proof = {"method": "card", "paid_at": paid_at.isoformat()}
    claim = api.call(
        "POST", "/patient/claims", patient, {"invoice_id": invoices[0]["id"], "proof_of_payment": proof}
    )
    slots = [
        slot["start"]
        for slot in api.call("GET", f"/doctors/{DOCTOR_CODE}/slots", patient, status=200)["items"]
    ]
    appointment = api.call(
        "POST", "/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": slots.pop()}
    )
    pharmacy = api.call("POST", "/pharmacies", api.operator, {"pharmacy_code": "412345", "name": "Pharmacie"})
    pharmacist = api.enrol(pharmacy["enrolment_code"], "Caisse")
    item = {
        "medication": {"name": "Paracétamol"},
        "quantity": 1,
        "dosage": "1/j",
        "substitution_allowed": True,
    }
    prescriptions = [
        api.call(
            "POST",
            "/prescriptions",
            doctor,
            {"patient_matricule": fuzz_hooks.PATIENT, "items": [item], "repeats": 1},
        )
        for _ in range(2)
    ]
    certificate = api.call(
        "POST",
        "/certificates",
        doctor,
        {
            "patient_matricule": fuzz_hooks.PATIENT,
            "kind": "initial",
            "start": today,
            "end": today,
            "diagnosis_code": "J06.9",
            "outings_allowed": True,
            "accident": False,
        },
    )
    share = api.call("POST", f"/patient/certificates/{certificate['id']}/employer-shares", patient, {})
    return {
        "tokens": {
            "operator": api.operator,
            "doctor": doctor,
            "assistant": assistant,
            "patient": patient,
            "insurer": insurer,
            "pharmacist": pharmacist,
        },
        "values": {
            "path.invoice_id": [invoice["id"] for invoice in invoices],
            "path.claim_id": [claim["id"]],
            "path.appointment_id": [appointment["id"]],
            "path.document_id": [invoices[0]["vault"]["document_id"]],
            "path.endpoint_id": [endpoint["id"] for endpoint in endpoints],
            "path.delivery_id": api.deliveries(patient, endpoints[0]["id"]),
            "path.patient_id": [patient_id, relative_id],
            "path.link_id": [link["link_id"]],
            "path.token_id": [spare],
            "query.patient_id": [patient_id],
            "query.for": [relative_id, child_id],
            "path.doctor_code": [DOCTOR_CODE],
            "body.doctor_code": [DOCTOR_CODE],
            "body.start": slots[-10:],
            "body.invoice_id": [invoice["id"] for invoice in invoices],
            "body.qr": [invoice["qr"] for invoice in invoices] + [p["qr"] for p in prescriptions],
            "path.prescription_id": [p["id"] for p in prescriptions],
            "path.certificate_id": [certificate["id"]],
            "path.code": [share["code"]],
            "body.replaces": [certificate["id"]],
        },
    }


def for_run(document: dict[str, Any], run: Run) -> dict[str, Any]:
    """The operations of the run: those its role may call (the public ones for "public")."""
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        kept = {}
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            allowed = (run.role == "public" and operation["security"] == []) or any(
                run.role in requirement["bearer"] for requirement in operation["security"]
            )
            wanted = run.only in (None, label) and label not in {run.without, *ENDS_ITS_OWN_TOKEN}
            if allowed and wanted:
                kept[method] = operation
        if kept:
            paths[path] = kept
    return {**document, "paths": paths}


def config(values: dict[str, list[str]]) -> str:
    """schemathesis.toml: the seeded values drawn half of the time, and what a valid request may get."""
    lines = [
        "[checks.positive_data_acceptance]",
        f"expected-statuses = {json.dumps(VALID_REQUEST_STATUSES)}",
        "",
    ]
    names = {key: key.replace(".", "_") for key in values}
    for key, name in names.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values[key])}", ""]
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key, name in names.items()]
    return "\n".join(lines) + "\n"


def fuzz(run: Run, base_url: str, token: str | None, workdir: Path) -> tuple[int, str]:
    """One schemathesis run against the stack: its exit status and its report."""
    schema = workdir / f"{run.name}.json"
    schema.write_text(json.dumps(for_run(yaml.safe_load(DOCUMENT.read_text(encoding="utf-8")), run)))
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(workdir / "schemathesis.toml")),
        *("run", str(schema), "--url", f"{base_url}/v1", "--phases", run.phases, "--checks", "all"),
        *("--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--request-timeout", "20"),
        *("--workers", "1", "--generation-database", "none", "--no-color"),
        *("--report-dir", str(workdir / f"{run.name}-report")),
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.fuzz_hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, check=False, cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def stack() -> Iterator[local_stack.Stack]:
    with local_stack.running() as running:
        yield running


def test_the_contract_holds_for_every_role(stack: local_stack.Stack, tmp_path: Path) -> None:
    seeded = seed(stack)
    (tmp_path / "schemathesis.toml").write_text(config(seeded["values"]))

    def lane(runs: tuple[Run, ...]) -> list[tuple[Run, int, str]]:
        tokens = seeded["tokens"]
        return [(run, *fuzz(run, stack.base_url, tokens.get(run.role), tmp_path)) for run in runs]

    with ThreadPoolExecutor(len(LANES)) as pool:
        results = [result for done in pool.map(lane, LANES) for result in done]
    failed = [f"{run.name}:\n{_failures(report)}" for run, status, report in results if status != 0]
    assert not failed, "\n\n".join(failed)


def _failures(report: str) -> str:
    """The part of a schemathesis report that says what failed."""
    start = report.find("FAILURES")
    return report[max(start, 0) :][:15000]
