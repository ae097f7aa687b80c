"""The invoice path over real HTTP: moto server, `chalice local` and the worker, as `make run`
starts them. A doctor and a patient are onboarded, an invoice is issued and printed, the
insurer scans its QR code and the patient downloads the vault copy."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pypdfium2 as pdfium
import pytest
import requests
import zxingcpp

from local import stack as local_stack
from tests.matricules import matricule

ADULT = "1893120105732"
TIMEOUT = 60


@dataclass(frozen=True)
class Http:
    """Bearer-token JSON calls against the running stack."""

    stack: local_stack.Stack

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method, f"{self.stack.base_url}{path}", headers=headers, timeout=TIMEOUT, **kw
        )

    def created(self, path: str, token: str | None, body: Any = None) -> dict[str, Any]:
        got = self.call("POST", path, token, json=body)
        assert got.status_code == 201, got.text
        return dict(got.json())

    def doctor(self, code: str) -> str:
        made = self.created(
            "/v1/doctors", self.stack.operator_token, {"doctor_code": code, "name": "Dr Anne Weber"}
        )
        return self.enrol(made["enrolment_code"], "PC cabinet")

    def enrol(self, code: str, name: str) -> str:
        return str(self.created("/v1/devices", None, {"enrolment_code": code, "device_name": name})["token"])

    def patient(self, number: str, opted_in: bool = True) -> str:
        registered = self.created(
            "/v1/patients",
            self.stack.operator_token,
            {
                "matricule": number,
                "name": "Marie Schmit",
                "insurer": "CNS",
                "digital_admin": "opted_in" if opted_in else "opted_out",
                "app_active": True,
            },
        )
        patient_id = registered["patient_id"]
        return str(self.created(f"/v1/patients/{patient_id}/tokens", self.stack.operator_token)["token"])


@pytest.fixture(scope="module")
def stack() -> Iterator[local_stack.Stack]:
    with local_stack.running() as running:
        yield running


@pytest.fixture(scope="module")
def http(stack: local_stack.Stack) -> Http:
    return Http(stack)


def qr_codes(pdf: bytes) -> list[str]:
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def vault_object(stack: local_stack.Stack, url: str) -> bytes:
    """What S3 holds at the object a presigned URL points to (path-style: /bucket/key)."""
    bucket, key = urlsplit(url).path.lstrip("/").split("/", 1)
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.aws_endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_health(http: Http) -> None:
    got = http.call("GET", "/v1/health", headers={"X-Request-Id": "e2e-1"})
    assert got.status_code == 200
    assert got.json() == {"status": "ok"}
    assert got.headers["X-Request-Id"] == "e2e-1"


def test_invoice_from_issue_to_vault(http: Http, stack: local_stack.Stack) -> None:
    doctor = http.doctor("111111-11")
    patient = http.patient(ADULT)
    insurer = http.created("/v1/insurers/CNS/tokens", stack.operator_token)["token"]
    status = http.call("POST", "/v1/patients/status", doctor, json={"matricule": ADULT}).json()
    assert status["digital_admin"] == "opted_in"

    today = date.today()
    invoice = http.created(
        "/v1/invoices",
        doctor,
        {
            "patient_matricule": ADULT,
            "service_date": today.isoformat(),
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 5770},
        },
    )
    assert invoice["number"] == f"{today.year}-000001"
    assert (invoice["insurer_share_cents"], invoice["patient_share_cents"]) == (5078, 692)
    assert invoice["vault"]["stored"] is True

    printed = http.call("GET", invoice["links"]["pdf"], doctor, headers={"Accept": "application/pdf"})
    assert printed.status_code == 200
    assert printed.headers["Content-Type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    [qr] = qr_codes(printed.content)
    assert qr == invoice["qr"]

    svg = http.call("GET", invoice["links"]["qr_svg"], doctor)
    assert svg.headers["Content-Type"] == "image/svg+xml"

    scanned = http.call("POST", "/v1/insurer/scan", insurer, json={"qr": qr})
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["id"] == invoice["id"]
    assert scanned.json()["total_cents"] == 5770

    listed = http.call("GET", "/v1/patient/documents", patient).json()
    [document] = listed["items"]
    assert document["id"] == invoice["vault"]["document_id"]
    opened = http.call("GET", f"/v1/patient/documents/{document['id']}", patient).json()
    url = opened["download_url"]
    assert urlsplit(url).hostname == "127.0.0.1"
    downloaded = requests.get(url, timeout=TIMEOUT)
    assert downloaded.status_code == 200
    assert downloaded.content.startswith(b"%PDF")
    assert len(downloaded.content) == document["size_bytes"]
    assert downloaded.content == vault_object(stack, url)
    # A freshly issued invoice prints the same bytes as the copy in the vault.
    assert downloaded.content == printed.content
    assert qr_codes(downloaded.content) == [invoice["qr"]]

    jwks = http.call("GET", "/v1/.well-known/jwks.json").json()
    assert jwks["keys"]


def test_the_jwks_verify_the_qr_offline(http: Http, stack: local_stack.Stack) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from chalicelib.domain import qr_token

    doctor = http.doctor("222222-22")
    invoice = http.created(
        "/v1/invoices",
        doctor,
        {
            "patient_matricule": matricule("19800101", "002"),
            "service_date": date.today().isoformat(),
            "lines": [{"code": "C1"}],
            "insurer": "CMFEP",
        },
    )
    keys = {
        key["kid"]: Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "=="))
        for key in http.call("GET", "/v1/.well-known/jwks.json").json()["keys"]
    }
    claims = qr_token.decode(invoice["qr"], keys)
    assert (claims.invoice_id, claims.insurer, claims.total_cents) == (invoice["id"], "CMFEP", 5770)


def test_parallel_issuance_numbers_without_gaps_or_twins(http: Http, stack: local_stack.Stack) -> None:
    doctor = http.doctor("333333-33")
    code = http.created("/v1/practice/enrolment-codes", doctor, {"role": "doctor"})["enrolment_code"]
    second_pc = http.enrol(code, "PC 2")
    number = matricule("19750505", "004")
    patient = http.patient(number)
    today = date.today()

    def issue(i: int) -> tuple[str, dict[str, Any]]:
        # Each request is told apart by its service date, so a crossed answer shows.
        service_date = (today - timedelta(days=i)).isoformat()
        body = {"patient_matricule": number, "service_date": service_date, "lines": [{"code": "C1"}]}
        got = http.call("POST", "/v1/invoices", (doctor, second_pc)[i % 2], json=body)
        assert got.status_code == 201, got.text
        return service_date, got.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(issue, range(20)))

    assert all(sent == invoice["service_date"] for sent, invoice in results)
    numbers = sorted(invoice["number"] for _, invoice in results)
    assert numbers == [f"{today.year}-{n:06d}" for n in range(1, 21)]
    assert len({invoice["id"] for _, invoice in results}) == 20

    listed = http.call("GET", "/v1/invoices?limit=100", doctor).json()
    assert sorted(i["number"] for i in listed["items"]) == numbers
    documents = http.call("GET", "/v1/patient/documents?limit=100", patient).json()["items"]
    assert len(documents) == 20
    assert {d["id"] for d in documents} == {invoice["vault"]["document_id"] for _, invoice in results}


def test_pdf_bytes_are_served_intact(http: Http) -> None:
    doctor = http.doctor("444444-44")
    invoice = http.created(
        "/v1/invoices",
        doctor,
        {
            "patient_matricule": ADULT,
            "service_date": date.today().isoformat(),
            "lines": [{"code": "C1"}, {"code": "CP1"}],
        },
    )
    printed = http.call("GET", invoice["links"]["pdf"], doctor, headers={"Accept": "*/*"})
    assert printed.status_code == 200
    assert len(pdfium.PdfDocument(io.BytesIO(printed.content))) == 1
