"""What the API answers fits what `openapi.yaml` says it answers."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tests.api.conftest import ADULT, Api
from tests.api.test_invoices import issued
from tests.api.test_practice import new_code
from tests.unit.test_openapi import document


def fits(name: str, value: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}
    Draft202012Validator(schema).validate(value)


def test_invoice_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor, lines=[{"code": "C1"}, {"code": "CP2"}], payment=None)
    fits("Invoice", invoice)
    paid = api.post(
        f"/v1/invoices/{invoice['id']}/payments", doctor, {"amount_cents": 100, "method": "cash"}
    ).json
    fits("Invoice", paid)
    cancelled = api.post(f"/v1/invoices/{invoice['id']}/cancel", doctor, {"reason": "erreur"}).json
    fits("Invoice", cancelled)
    page = api.get("/v1/invoices", doctor).json
    fits("Page", page)
    for item in page["items"]:
        fits("Invoice", item)
    for item in api.get("/v1/patient/documents", patient).json["items"]:
        fits("Document", item)
    fits("Jwks", api.get("/v1/.well-known/jwks.json").json)


def test_onboarding_and_device_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    api.enrol(new_code(api, doctor, "assistant"))
    for device in api.get("/v1/practice/devices", doctor).json["items"]:
        fits("Device", device)
    api.patient()
    status = api.post("/v1/patients/status", doctor, {"matricule": ADULT}).json
    fits("PatientStatus", status)
    assert set(status) == {"patient_id", "matricule", "digital_admin", "app_active", "insurer"}


def test_problems_fit(api: Api) -> None:
    doctor = api.doctor()
    fits("ValidationProblem", api.invoice(doctor, "1893120105733").json)
    fits("Problem", api.get("/v1/invoices/inv_nope", doctor).json)
    fits("Problem", api.get("/v1/invoices").json)
