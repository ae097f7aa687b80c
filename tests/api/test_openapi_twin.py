"""What the API answers fits what `openapi.yaml` says it answers, field for field: a field the
contract does not name fails here too, though the published schemas let clients ignore it."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tests.api.conftest import ADULT, OPERATOR, Api
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


def test_reconciliation_pages_fit(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    issued(api, doctor)
    issued(api, doctor)
    period = "/v1/practice/reconciliation?from=2026-11-01&to=2026-11-30&limit=1"
    first = api.get(period, doctor)
    assert first.status == 200, first.body
    assert len(first.json["items"]) == 1 and first.json["next_cursor"]
    fits("Reconciliation", first.json)
    last = api.get(f"{period}&cursor={first.json['next_cursor']}", doctor).json
    assert len(last["items"]) == 1
    fits("Reconciliation", last)
    assert last["totals"] == first.json["totals"]


def test_onboarding_and_device_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    api.enrol(new_code(api, doctor, "assistant"))
    fits("DevicePage", api.get("/v1/practice/devices", doctor).json)
    api.patient()
    status = api.post("/v1/patients/status", doctor, {"matricule": ADULT}).json
    fits("PatientStatus", status)
    assert set(status) == {"patient_id", "matricule", "digital_admin", "app_active", "insurer"}
    unknown = api.post("/v1/patients/status", doctor, {"matricule": "1985030400267"}).json
    fits("PatientStatus", unknown)
    assert unknown["patient_id"] is None


def test_patient_and_token_answers_fit(api: Api) -> None:
    body = {
        "matricule": ADULT,
        "name": "Marie Schmit",
        "insurer": "CNS",
        "digital_admin": "opted_in",
        "app_active": True,
    }
    made = api.post("/v1/patients", OPERATOR, body)
    assert made.status == 201, made.body
    fits("Patient", made.json)
    patient_id = made.json["patient_id"]
    replaced = api.put(f"/v1/patients/{patient_id}", OPERATOR, {**body, "digital_admin": "opted_out"})
    assert replaced.status == 200, replaced.body
    fits("Patient", replaced.json)
    for path in (f"/v1/patients/{patient_id}/tokens", "/v1/insurers/CNS/tokens"):
        token = api.post(path, OPERATOR)
        assert token.status == 201, token.body
        fits("Token", token.json)
    made = api.post("/v1/doctors", OPERATOR, {"doctor_code": "123456-78", "name": "Dr Anne Weber"})
    enrolled = api.post(
        "/v1/devices", None, {"enrolment_code": made.json["enrolment_code"], "device_name": "PC"}
    )
    assert enrolled.status == 201, enrolled.body
    fits("Enrolment", enrolled.json)


def test_a_rotated_session_fits(api: Api) -> None:
    for token in (api.doctor(), api.insurer()):
        rotated = api.post("/v1/sessions/rotate", token)
        assert rotated.status == 201, rotated.body
        fits("Token", rotated.json)


def test_access_log_answers_fit(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    assert api.post("/v1/patients/status", doctor, {"matricule": ADULT}).status == 200
    log = api.get("/v1/patient/access-log", patient)
    assert log.status == 200, log.body
    assert log.json["items"], log.body
    fits("AccessLogPage", log.json)


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
    spouse = api.patient("1985030400267")
    asked = api.get("/v1/patient/relatives", spouse).json
    fits("RelativePage", asked)
    accepted = api.post(f"/v1/patient/relatives/{link.json['link_id']}/accept", spouse)
    assert accepted.status == 200, accepted.body
    fits("Relative", accepted.json)
    active = api.get("/v1/patient/relatives", patient).json
    fits("RelativePage", active)
    assert [(r["status"], r["name"] is not None) for r in active["items"]] == [("active", True)]


def test_problems_fit(api: Api) -> None:
    doctor = api.doctor()
    fits("ValidationProblem", api.invoice(doctor, "1893120105733").json)
    fits("Problem", api.get("/v1/invoices/inv_nope", doctor).json)
    fits("Problem", api.get("/v1/invoices").json)
