"""What the API answers fits what `openapi.yaml` says it answers, field for field: a field the
contract does not name fails here too, though the published schemas let clients ignore it."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tests.api.conftest import ADULT, Api
from tests.api.test_invoices import issued
from tests.api.test_practice import new_code
from tests.unit.test_openapi import document


def closed(schema: Any) -> Any:
    """`schema` where every object admits only the properties it names."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    shut = {key: closed(value) for key, value in schema.items() if key != "properties"}
    if "properties" in schema:
        shut["properties"] = {name: closed(inner) for name, inner in schema["properties"].items()}
        shut["additionalProperties"] = False
    return shut


def fits(name: str, value: Any) -> None:
    components = closed(document()["components"])
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(value)


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
    fits("InvoicePage", api.get("/v1/invoices", doctor).json)
    fits("DocumentPage", api.get("/v1/patient/documents", patient).json)
    fits("Jwks", api.get("/v1/.well-known/jwks.json").json)
    fits("Health", api.get("/v1/health").json)


def test_claim_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    proof = {"method": "card", "paid_at": "2026-11-20T10:00:00Z"}
    claim = api.post("/v1/patient/claims", patient, {"invoice_id": invoice["id"], "proof_of_payment": proof})
    assert claim.status == 201, claim.body
    fits("Claim", claim.json)
    insurer = api.insurer()
    decided = api.post(f"/v1/insurer/claims/{claim.json['id']}/decision", insurer, {"outcome": "reimbursed"})
    assert decided.status == 200, decided.body
    fits("Claim", decided.json)
    fits("ClaimPage", api.get("/v1/insurer/claims", insurer).json)
    fits("ClaimPage", api.get("/v1/patient/claims", patient).json)
    period = api.get("/v1/practice/reconciliation?from=2026-11-01&to=2026-11-30", doctor)
    assert period.status == 200, period.body
    fits("Reconciliation", period.json)


def test_onboarding_and_device_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    api.enrol(new_code(api, doctor, "assistant"))
    fits("DevicePage", api.get("/v1/practice/devices", doctor).json)
    api.patient()
    status = api.post("/v1/patients/status", doctor, {"matricule": ADULT}).json
    fits("PatientStatus", status)
    assert set(status) == {"patient_id", "matricule", "digital_admin", "app_active", "insurer"}


def test_webhook_and_relative_answers_fit(api: Api) -> None:
    patient = api.patient()
    made = api.post(
        "/v1/webhooks", patient, {"url": "http://127.0.0.1:9001/hook", "events": ["claim.decided"]}
    )
    assert made.status == 201, made.body
    fits("NewWebhook", made.json)
    fits("WebhookPage", api.get("/v1/webhooks", patient).json)
    fits("DeliveryPage", api.get(f"/v1/webhooks/{made.json['id']}/deliveries", patient).json)
    link = api.post(
        "/v1/patient/relatives", patient, {"matricule": "1985030400267", "relationship": "spouse"}
    )
    assert link.status == 201, link.body
    fits("Relative", link.json)
    fits("RelativePage", api.get("/v1/patient/relatives", patient).json)


def test_problems_fit(api: Api) -> None:
    doctor = api.doctor()
    fits("ValidationProblem", api.invoice(doctor, "1893120105733").json)
    fits("Problem", api.get("/v1/invoices/inv_nope", doctor).json)
    fits("Problem", api.get("/v1/invoices").json)
