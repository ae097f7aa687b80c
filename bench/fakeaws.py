"""The in-process set-up every benchmark on moto shares: fake credentials, the stage, an
operator token, signing and webhook keys made for the run, DHN's tables, bucket and queues
through `chalicelib.store.provision`, every AWS call counted from the start
(`bench.awscalls`), and the Chalice app behind chalice's test client.

chalicelib caches its clients for the life of the process, and only clients created while
counting are counted: `make bench` runs each benchmark in a fresh interpreter for that reason.
"""

from __future__ import annotations

import json
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bench.awscalls import Meter, counting

if TYPE_CHECKING:
    from chalice.test import Client

OPERATOR = "bench-operator-token"
DOCTOR = "123456-78"
PATIENT = "1893120105732"


def matricules(count: int) -> list[str]:
    """Valid matricules of `count` people born on 1 January 1980."""
    from stdnum import luhn, verhoeff

    bodies = [f"1980010{serial:04d}" for serial in range(count)]
    return [body + luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body) for body in bodies]


def environment() -> None:
    """Before chalicelib is imported: it reads table names and keys from the environment."""
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": "bench",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_REGION": "eu-central-1",
            # The laptop stage: webhooks may go to a receiver on the loopback.
            "DHN_STAGE": "local",
            "DHN_OPERATOR_TOKEN": OPERATOR,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    from chalicelib.core import sealing, signing_keys

    os.environ.setdefault("DHN_QR_SIGNING_KEY", signing_keys.generate_seed())
    os.environ.setdefault("DHN_WEBHOOK_KEY", sealing.generate_key())


@contextmanager
def aws() -> Iterator[Meter]:
    """moto in this process with DHN's resources; yields the meter of every AWS call."""
    environment()
    from moto import mock_aws

    with counting() as meter, mock_aws():
        from chalicelib.store import provision

        provision.create_all()
        yield meter


class Caller(ABC):
    """Speaks JSON with a bearer token to `/v1`, and takes the onboarding steps benchmarks
    start from."""

    operator = OPERATOR

    @abstractmethod
    def post(self, path: str, token: str | None = None, body: Any = None, key: str | None = None) -> Any:
        """POST to `/v1{path}` (with an Idempotency-Key if given); the answer's JSON, or fail."""

    @staticmethod
    def headers(token: str | None, key: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if key:
            headers["idempotency-key"] = key
        return headers

    def doctor(self, code: str = DOCTOR) -> str:
        """Register a doctor and enrol a PC; the PC's token."""
        made = self.post("/doctors", self.operator, {"doctor_code": code, "name": "Dr Bench"})
        return str(
            self.post("/devices", None, {"enrolment_code": made["enrolment_code"], "device_name": "PC"})[
                "token"
            ]
        )

    def patient(self, matricule: str = PATIENT, opted_in: bool = True) -> str:
        """Register a patient of the CNS with the app; the patient's token. An opted-out
        patient's invoices put no PDF in the vault."""
        body = {
            "matricule": matricule,
            "name": "Marie Schmit",
            "insurer": "CNS",
            "digital_admin": "opted_in" if opted_in else "opted_out",
            "app_active": True,
        }
        patient_id = self.post("/patients", self.operator, body)["patient_id"]
        return str(self.post(f"/patients/{patient_id}/tokens", self.operator)["token"])

    def insurer(self, name: str = "CNS") -> str:
        return str(self.post(f"/insurers/{name}/tokens", self.operator)["token"])

    def invoice(self, token: str, matricule: str = PATIENT, key: str | None = None) -> Any:
        """Issue a consultation paid by card, dated today."""
        body = {
            "patient_matricule": matricule,
            "service_date": time.strftime("%Y-%m-%d", time.gmtime()),
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 5770},
        }
        return self.post("/invoices", token, body, key)


class Api(Caller):
    """The app in this process, through chalice's test client, with the meter of AWS calls."""

    def __init__(self, client: Client, meter: Meter) -> None:
        self.client = client
        self.meter = meter

    def post(self, path: str, token: str | None = None, body: Any = None, key: str | None = None) -> Any:
        return self.call("POST", path, token, body or {}, key)

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        key: str | None = None,
        accept: str | None = None,
    ) -> Any:
        """`method` on `/v1{path}`: the answer's JSON (its bytes for another media type, None
        for no content), or fail."""
        headers = {**self.headers(token, key), **({"accept": accept} if accept else {})}
        raw = b"" if body is None else json.dumps(body).encode()
        answer = self.client.http.request(method, f"/v1{path}", headers=headers, body=raw)
        assert answer.status_code in (200, 201, 202, 204), answer.body
        if answer.status_code == 204:
            return None
        media = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
        return json.loads(answer.body) if media.startswith("application/json") else answer.body

    def get(self, path: str, token: str) -> Any:
        """GET `/v1{path}`; the answer's JSON, or fail."""
        answer = self.client.http.get(f"/v1{path}", headers=self.headers(token, None))
        assert answer.status_code == 200, answer.body
        return json.loads(answer.body)


@contextmanager
def api() -> Iterator[Api]:
    """The Chalice app on moto in this process."""
    with aws() as meter:
        from chalice.test import Client

        from app import app

        with Client(app) as client:
            yield Api(client, meter)
