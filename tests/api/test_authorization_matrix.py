"""Every route of the contract against every kind of caller, from one table.

Real objects are made first (a practice with an assistant, a registered patient with a paid
invoice, a claim, an appointment and a webhook, a relative acting for the patient and a former
one, two insurers, another practice), so that each status says something: the owner gets what
it asked for, a wrong role 403, another tenant's object 404, and a missing, expired or revoked
token 401. A route added to the table of routes without a row here fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.api.edge.routing import ROUTES
from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, DOCTOR_CODE, OPERATOR, Api
from tests.api.test_appointments import HOURS, TOMORROW_8
from tests.api.test_prescriptions import ITEMS, OTHER_PHARMACY, PHARMACY, pharmacy
from tests.matricules import matricule

RELATIVE = "1985030400267"
FORMER = "1990010100324"
OTHER_DOCTOR = "654321-09"
NEWCOMER = matricule("19800101")
PROOF = {"method": "card", "reference": "TX-42", "paid_at": "2026-11-20T10:00:00Z"}
CERTIFICATE = {
    "patient_matricule": ADULT,
    "kind": "initial",
    "start": "2026-11-23",
    "end": "2026-11-27",
    "diagnosis_code": "J06.9",
    "outings_allowed": True,
    "accident": False,
}
PDF = {"accept": "application/pdf"}

# Who calls: no token, an expired one, a revoked one, and one of each kind of principal.
UNAUTHENTICATED = ("none", "expired", "revoked")
PRINCIPALS = (
    "other_insurer",
    "other_practice",
    "former_relative",
    "insurer",
    "operator",
    "relative",
    "assistant",
    "doctor",
    "patient",
    "pharmacist",
    "other_pharmacy",
)
CALLERS = UNAUTHENTICATED + PRINCIPALS


@dataclass
class World:
    api: Api
    tokens: dict[str, str | None]
    ids: dict[str, str]
    # Makes a new token for a caller, for the routes that end or replace the one they use.
    mint: dict[str, Callable[[], str]] = field(default_factory=dict)


def build(api: Api, fixed_clock: FixedClock) -> World:
    doctor = api.doctor()
    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200

    def device(role: str, by: str = doctor) -> str:
        made = api.post("/v1/practice/enrolment-codes", by, {"role": role})
        assert made.status == 201, made.body
        return api.enrol(made.json["enrolment_code"], f"PC {role}")

    other_practice = api.doctor(OTHER_DOCTOR, "Dr Paul Klein")
    patient_id = api.register(ADULT)
    relative_id = api.register(RELATIVE, name="Jean Schmit")
    former_id = api.register(FORMER, name="Luc Muller")
    patient, relative, former = (api.token(p) for p in (patient_id, relative_id, former_id))
    # The relative acts for the patient, who accepted; the former relative did, until the link ended.
    links = {}
    for name, token in (("link", relative), ("ended_link", former)):
        asked = api.post("/v1/patient/relatives", token, {"matricule": ADULT, "relationship": "spouse"})
        assert asked.status == 201, asked.body
        links[name] = asked.json["link_id"]
        assert api.post(f"/v1/patient/relatives/{links[name]}/accept", patient).status == 200
    assert api.delete(f"/v1/patient/relatives/{links['ended_link']}", patient).status == 204

    invoice = api.invoice(doctor)
    assert invoice.status == 201, invoice.body
    certificate = api.post("/v1/certificates", doctor, CERTIFICATE)
    assert certificate.status == 201, certificate.body
    # Its cancel window closes: the insurer has it.
    fixed_clock.advance(timedelta(hours=1))
    patient = api.token(patient_id)
    share = api.post(f"/v1/patient/certificates/{certificate.json['id']}/employer-shares", patient, {})
    assert share.status == 201, share.body
    claim = api.post(
        "/v1/patient/claims", patient, {"invoice_id": invoice.json["id"], "proof_of_payment": PROOF}
    )
    assert claim.status == 201, claim.body
    booked = api.post("/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": TOMORROW_8})
    assert booked.status == 201, booked.body
    hook = api.post("/v1/webhooks", patient, {"url": "http://127.0.0.1:9/hook"})
    assert hook.status == 201, hook.body

    revoked = api.post("/v1/insurers/CNS/tokens", OPERATOR)
    assert api.delete(f"/v1/tokens/{revoked.json['token_id']}", OPERATOR).status == 204
    fixed_clock.advance(timedelta(hours=-13))
    expired = api.token(patient_id)
    fixed_clock.advance(timedelta(hours=13))

    def prescription() -> dict[str, Any]:
        made = api.post(
            "/v1/prescriptions", doctor, {"patient_matricule": ADULT, "items": ITEMS, "repeats": 0}
        )
        assert made.status == 201, made.body
        return dict(made.json)

    pharmacist = pharmacy(api)
    rx, spare_rx, held, held_to_reject = prescription(), prescription(), prescription(), prescription()
    secrets = {}
    for name, made in (("held", held), ("held_to_reject", held_to_reject)):
        accepted = api.post("/v1/pharmacy/prescriptions/accept", pharmacist, {"qr": made["qr"]})
        assert accepted.status == 200, accepted.body
        secrets[f"{name}_secret"] = accepted.json["secret"]
    pharmacies = iter(range(450000, 460000))

    spare_device = api.post("/v1/practice/enrolment-codes", doctor, {"role": "assistant"}).json
    spare = api.post(
        "/v1/devices", None, {"enrolment_code": spare_device["enrolment_code"], "device_name": "spare"}
    )
    world = World(
        api,
        tokens={
            "none": None,
            "expired": expired,
            "revoked": revoked.json["token"],
            "operator": OPERATOR,
            "doctor": doctor,
            "assistant": device("assistant"),
            "patient": patient,
            "relative": relative,
            "former_relative": former,
            "insurer": api.insurer("CNS"),
            "other_insurer": api.insurer("CMFEP"),
            "other_practice": other_practice,
            "pharmacist": pharmacist,
            "other_pharmacy": pharmacy(api, OTHER_PHARMACY, "Pharmacie de la Gare"),
        },
        ids={
            "patient": patient_id,
            "invoice": invoice.json["id"],
            "claim": claim.json["id"],
            "appointment": booked.json["id"],
            "webhook": hook.json["id"],
            "device": spare.json["device_id"],
            "spare_token": api.post("/v1/insurers/CMFEP/tokens", OPERATOR).json["token_id"],
            "qr": invoice.json["qr"],
            "rx": rx["id"],
            "rx_qr": rx["qr"],
            "spare_rx": spare_rx["id"],
            "held": held["id"],
            "held_to_reject": held_to_reject["id"],
            **secrets,
            "certificate": certificate.json["id"],
            "share": share.json["code"],
            "document": invoice.json["vault"]["document_id"],
            **links,
        },
    )
    # A second device of each practice mints new device tokens without spending the ones above.
    minting, other_minting = device("doctor"), device("doctor", other_practice)
    world.mint = {
        "operator": lambda: OPERATOR,
        "doctor": lambda: device("doctor", minting),
        "assistant": lambda: device("assistant", minting),
        "other_practice": lambda: device("doctor", other_minting),
        "patient": lambda: api.token(patient_id),
        "relative": lambda: api.token(relative_id),
        "former_relative": lambda: api.token(former_id),
        "insurer": lambda: api.insurer("CNS"),
        "other_insurer": lambda: api.insurer("CMFEP"),
        "pharmacist": lambda: pharmacy(api, str(next(pharmacies))),
        "other_pharmacy": lambda: pharmacy(api, str(next(pharmacies))),
    }
    return world


@dataclass(frozen=True)
class Row:
    """One route: the request made of it, and the status each caller gets. Callers not named
    get 401 when unauthenticated and 403 otherwise, unless the route is public."""

    path: str
    expected: dict[str, int]
    body: Any = None
    public: bool = False
    headers: dict[str, str] | None = None
    # The route ends or replaces the caller's token: each caller gets a new one for it.
    fresh: bool = False

    def status(self, caller: str) -> int:
        if caller in self.expected:
            return self.expected[caller]
        if self.public:
            return 200
        return 401 if caller in UNAUTHENTICATED else 403


PATIENTS_OWN = {"patient": 200, "relative": 200, "former_relative": 200}


def record_owner(status: int) -> dict[str, int]:
    """A change of the patient's record settings `for=` the patient: theirs, never an adult
    relative's, whose acceptance was to read and book."""
    return {"patient": status, "relative": 403, "former_relative": 403}


PRACTICE = {"doctor": 200, "assistant": 200, "other_practice": 200}
ANY_PRINCIPAL = dict.fromkeys(PRINCIPALS, 200)

# Rows run in this order: routes that change or end what others use come last.
TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/health"): Row("/v1/health", {}, public=True),
    ("GET", "/.well-known/jwks.json"): Row("/v1/.well-known/jwks.json", {}, public=True),
    ("GET", "/openapi.json"): Row("/v1/openapi.json", {}, public=True),
    ("GET", "/docs"): Row("/v1/docs", {}, public=True),
    ("GET", "/docs/swagger-ui-bundle.js"): Row("/v1/docs/swagger-ui-bundle.js", {}, public=True),
    ("GET", "/docs/swagger-ui.css"): Row("/v1/docs/swagger-ui.css", {}, public=True),
    # Any other file under /docs: the page has none, whoever asks.
    ("GET", "/docs/{asset}"): Row("/v1/docs/index.html", dict.fromkeys(CALLERS, 404), public=True),
    ("POST", "/devices"): Row(
        "/v1/devices",
        # A code DHN never made, whoever sends it (the route takes no token).
        dict.fromkeys(CALLERS, 422),
        body={"enrolment_code": "7K3M-Q9R2-T4V6-W8X0", "device_name": "PC"},
    ),
    # Operator
    ("POST", "/doctors"): Row(
        "/v1/doctors", {"operator": 201}, body={"doctor_code": "111111-11", "name": "Dr X"}
    ),
    ("POST", "/patients"): Row(
        "/v1/patients",
        {"operator": 201},
        body={
            "matricule": NEWCOMER,
            "name": "N",
            "insurer": "CNS",
            "digital_admin": "opted_in",
            "app_active": True,
        },
    ),
    ("PUT", "/patients/{patient_id}"): Row(
        "/v1/patients/{patient}",
        {"operator": 200},
        body={
            "matricule": ADULT,
            "name": "Marie Schmit",
            "insurer": "CNS",
            "digital_admin": "opted_in",
            "app_active": True,
        },
    ),
    ("POST", "/patients/{patient_id}/tokens"): Row("/v1/patients/{patient}/tokens", {"operator": 201}),
    ("POST", "/insurers/{insurer}/tokens"): Row("/v1/insurers/RCAM/tokens", {"operator": 201}),
    # Practice
    ("POST", "/practice/enrolment-codes"): Row(
        "/v1/practice/enrolment-codes", {"doctor": 201, "other_practice": 201}, body={"role": "assistant"}
    ),
    ("GET", "/practice/devices"): Row("/v1/practice/devices", {"doctor": 200, "other_practice": 200}),
    ("POST", "/patients/status"): Row("/v1/patients/status", PRACTICE, body={"matricule": ADULT}),
    ("GET", "/practice/reconciliation"): Row(
        "/v1/practice/reconciliation?from=2026-11-01&to=2026-11-30", {"doctor": 200, "other_practice": 200}
    ),
    ("PUT", "/practice/availability"): Row("/v1/practice/availability", PRACTICE, body=HOURS),
    ("GET", "/practice/availability"): Row("/v1/practice/availability", PRACTICE),
    ("GET", "/practice/appointments"): Row("/v1/practice/appointments?date=2026-11-24", PRACTICE),
    # The shared care record: the doctor's practice invoiced the patient, the other has not yet
    # (it does below).
    ("POST", "/records/documents"): Row(
        "/v1/records/documents",
        {"doctor": 201, "assistant": 201, "other_practice": 201},
        body={
            "patient_matricule": ADULT,
            "type": "report",
            "title": "Compte rendu",
            "confidentiality": "normal",
            "content_type": "application/pdf",
            "size_bytes": 1000,
            "sha256": "0" * 64,
        },
    ),
    ("POST", "/records/documents/{document_id}/complete"): Row(
        # The invoice's copy is available already: completing it again answers the same.
        "/v1/records/documents/{document}/complete",
        {"doctor": 200, "assistant": 200, "other_practice": 404},
    ),
    ("POST", "/records/search"): Row(
        "/v1/records/search",
        {"doctor": 200, "assistant": 200, "other_practice": 403},
        body={"matricule": ADULT},
    ),
    ("POST", "/records/vaccinations/search"): Row(
        "/v1/records/vaccinations/search",
        {"doctor": 200, "assistant": 200, "other_practice": 403},
        body={"matricule": ADULT},
    ),
    ("GET", "/records/documents/{document_id}"): Row(
        "/v1/records/documents/{document}", {"doctor": 200, "assistant": 200, "other_practice": 404}
    ),
    ("GET", "/patient/record"): Row(
        "/v1/patient/record?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    # The patient changes their record's settings; an adult relative's `for=` is no
    # guardian's (tests/api/test_record_guardians.py).
    ("POST", "/patient/record/grants"): Row(
        "/v1/patient/record/grants?for={patient}", record_owner(201), body={"doctor_code": OTHER_DOCTOR}
    ),
    ("POST", "/patient/record/blocks"): Row(
        "/v1/patient/record/blocks?for={patient}", record_owner(201), body={"doctor_code": OTHER_DOCTOR}
    ),
    ("POST", "/patient/documents/{document_id}/hide"): Row(
        "/v1/patient/documents/{document}/hide?for={patient}", record_owner(200)
    ),
    ("POST", "/patient/documents/{document_id}/unhide"): Row(
        "/v1/patient/documents/{document}/unhide?for={patient}", record_owner(200)
    ),
    # Invoices: the issuing practice's; another practice does not learn they exist.
    ("GET", "/invoices"): Row("/v1/invoices", PRACTICE),
    ("GET", "/invoices/{invoice_id}"): Row(
        "/v1/invoices/{invoice}", {"doctor": 200, "assistant": 200, "other_practice": 404}
    ),
    ("GET", "/invoices/{invoice_id}/pdf"): Row(
        "/v1/invoices/{invoice}/pdf",
        {"doctor": 200, "assistant": 200, "other_practice": 404},
        headers={"accept": "application/pdf"},
    ),
    ("GET", "/invoices/{invoice_id}/qr.svg"): Row(
        "/v1/invoices/{invoice}/qr.svg", {"doctor": 200, "assistant": 200, "other_practice": 404}
    ),
    ("POST", "/invoices"): Row(
        "/v1/invoices",
        {"doctor": 201, "assistant": 201, "other_practice": 201},
        body={
            "patient_matricule": ADULT,
            "service_date": "2026-11-20",
            "lines": [{"code": "C1", "quantity": 1}],
            "payment": {"method": "card", "amount_cents": 100},
        },
    ),
    ("POST", "/invoices/{invoice_id}/payments"): Row(
        "/v1/invoices/{invoice}/payments",
        # Paid in full at issue and claimed since: it takes no more payment.
        {"doctor": 409, "assistant": 409, "other_practice": 404},
        body={"amount_cents": 1, "method": "cash"},
    ),
    # Appointments
    ("GET", "/doctors/{doctor_code}/slots"): Row(f"/v1/doctors/{DOCTOR_CODE}/slots", PATIENTS_OWN),
    ("POST", "/appointments"): Row(
        "/v1/appointments",
        # One doctor's two places of the patient: one is taken, the relative takes the other.
        {"relative": 201, "patient": 422, "former_relative": 403},
        body={"doctor_code": DOCTOR_CODE, "start": "2026-11-24T09:00:00+01:00", "patient_matricule": ADULT},
    ),
    ("GET", "/patient/appointments"): Row(
        "/v1/patient/appointments?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    # Claims
    ("GET", "/patient/claims"): Row("/v1/patient/claims", PATIENTS_OWN),
    ("POST", "/patient/claims"): Row(
        "/v1/patient/claims",
        # One claim per invoice: the patient's second is 409; the invoice is no one else's.
        {"patient": 409, "relative": 404, "former_relative": 404},
        body={"invoice_id": "{invoice}", "proof_of_payment": PROOF},
    ),
    ("POST", "/insurer/scan"): Row(
        "/v1/insurer/scan", {"insurer": 200, "other_insurer": 404}, body={"qr": "{qr}"}
    ),
    ("GET", "/insurer/claims"): Row("/v1/insurer/claims", {"insurer": 200, "other_insurer": 200}),
    ("POST", "/insurer/claims"): Row(
        "/v1/insurer/claims",
        {"insurer": 409, "other_insurer": 404},
        body={"qr": "{qr}", "proof_of_payment": PROOF},
    ),
    # Prescriptions: the prescribing practice's, the patient's, and the holding pharmacy's.
    ("POST", "/pharmacies"): Row(
        "/v1/pharmacies", {"operator": 201}, body={"pharmacy_code": PHARMACY[:5] + "9", "name": "P"}
    ),
    ("POST", "/prescriptions"): Row(
        "/v1/prescriptions",
        {"doctor": 201, "other_practice": 201},
        body={"patient_matricule": ADULT, "items": ITEMS, "repeats": 0},
    ),
    ("GET", "/prescriptions"): Row("/v1/prescriptions", PRACTICE),
    ("GET", "/prescriptions/{prescription_id}"): Row(
        "/v1/prescriptions/{rx}", {"doctor": 200, "assistant": 200, "other_practice": 404}
    ),
    ("GET", "/prescriptions/{prescription_id}/pdf"): Row(
        "/v1/prescriptions/{rx}/pdf",
        {"doctor": 200, "assistant": 200, "other_practice": 404},
        headers={"accept": "application/pdf"},
    ),
    ("GET", "/patient/prescriptions"): Row(
        "/v1/patient/prescriptions?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    ("GET", "/patient/prescriptions/{prescription_id}"): Row(
        "/v1/patient/prescriptions/{rx}?for={patient}",
        {"patient": 200, "relative": 200, "former_relative": 403},
    ),
    ("POST", "/pharmacy/prescriptions/accept"): Row(
        # The first pharmacy holds it: the second is told so.
        "/v1/pharmacy/prescriptions/accept",
        {"pharmacist": 200, "other_pharmacy": 409},
        body={"qr": "{rx_qr}"},
    ),
    ("POST", "/pharmacy/prescriptions/{prescription_id}/dispense"): Row(
        "/v1/pharmacy/prescriptions/{held}/dispense",
        {"pharmacist": 200, "other_pharmacy": 403},
        body={"secret": "{held_secret}", "items": [{"index": 0, "quantity": 1}]},
    ),
    ("POST", "/pharmacy/prescriptions/{prescription_id}/close"): Row(
        "/v1/pharmacy/prescriptions/{held}/close",
        {"pharmacist": 200, "other_pharmacy": 403},
        body={"secret": "{held_secret}"},
    ),
    ("POST", "/pharmacy/prescriptions/{prescription_id}/reject"): Row(
        "/v1/pharmacy/prescriptions/{held_to_reject}/reject",
        {"pharmacist": 200, "other_pharmacy": 403},
        body={"secret": "{held_to_reject_secret}", "reason": "stock"},
    ),
    ("POST", "/prescriptions/{prescription_id}/cancel"): Row(
        "/v1/prescriptions/{spare_rx}/cancel",
        {"other_practice": 404, "doctor": 200},
        body={"reason": "mistake"},
    ),
    # Documents and the journal
    ("GET", "/patient/documents"): Row(
        "/v1/patient/documents?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    ("GET", "/patient/documents/{document_id}"): Row(
        "/v1/patient/documents/doc_01M83VVAE0J6TC7MHS3KXVYQ8Y",
        {"patient": 404, "relative": 404, "former_relative": 404},
    ),
    ("GET", "/patient/access-log"): Row(
        "/v1/patient/access-log?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    # Relatives
    ("GET", "/patient/relatives"): Row("/v1/patient/relatives", PATIENTS_OWN),
    ("POST", "/patient/relatives"): Row(
        "/v1/patient/relatives",
        {"patient": 201, "relative": 201, "former_relative": 201},
        body={"matricule": NEWCOMER, "relationship": "other"},
    ),
    # Webhooks: the owner's; anyone else's is not found.
    ("GET", "/webhooks"): Row(
        "/v1/webhooks",
        {"patient": 200, "relative": 200, "former_relative": 200, "doctor": 200, "other_practice": 200},
    ),
    ("GET", "/webhooks/{endpoint_id}/deliveries"): Row(
        "/v1/webhooks/{webhook}/deliveries",
        {"patient": 200, "relative": 404, "former_relative": 404, "doctor": 404, "other_practice": 404},
    ),
    ("POST", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry"): Row(
        "/v1/webhooks/{webhook}/deliveries/dlv_01M83VVAE0J6TC7MHS3KXVYQ8Y/retry",
        {"patient": 404, "relative": 404, "former_relative": 404, "doctor": 404, "other_practice": 404},
    ),
    ("POST", "/webhooks"): Row(
        "/v1/webhooks",
        {"patient": 201, "relative": 201, "former_relative": 201, "doctor": 201, "other_practice": 201},
        body={"url": "http://127.0.0.1:9/other"},
    ),
    # Certificates: doctors only (not assistants), the insurer it names, the patient and relatives.
    ("POST", "/certificates"): Row(
        "/v1/certificates", {"doctor": 201, "other_practice": 201}, body=CERTIFICATE
    ),
    ("GET", "/certificates"): Row("/v1/certificates", {"doctor": 200, "other_practice": 200}),
    ("GET", "/certificates/{certificate_id}"): Row(
        "/v1/certificates/{certificate}", {"doctor": 200, "other_practice": 404}
    ),
    ("GET", "/certificates/{certificate_id}/pdf"): Row(
        "/v1/certificates/{certificate}/pdf", {"doctor": 200, "other_practice": 404}, headers=PDF
    ),
    ("GET", "/insurer/certificates"): Row("/v1/insurer/certificates", {"insurer": 200, "other_insurer": 200}),
    ("GET", "/insurer/certificates/{certificate_id}"): Row(
        "/v1/insurer/certificates/{certificate}", {"insurer": 200, "other_insurer": 404}
    ),
    ("GET", "/insurer/certificates/{certificate_id}/pdf"): Row(
        "/v1/insurer/certificates/{certificate}/pdf", {"insurer": 200, "other_insurer": 404}, headers=PDF
    ),
    ("GET", "/patient/certificates"): Row(
        "/v1/patient/certificates?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    ("GET", "/patient/certificates/{certificate_id}"): Row(
        "/v1/patient/certificates/{certificate}?for={patient}",
        {"patient": 200, "relative": 200, "former_relative": 403},
    ),
    ("GET", "/patient/certificates/{certificate_id}/pdf"): Row(
        "/v1/patient/certificates/{certificate}/pdf?for={patient}",
        {"patient": 200, "relative": 200, "former_relative": 403},
        headers=PDF,
    ),
    ("POST", "/patient/certificates/{certificate_id}/employer-shares"): Row(
        "/v1/patient/certificates/{certificate}/employer-shares?for={patient}",
        {"patient": 201, "relative": 201, "former_relative": 403},
        body={},
    ),
    # The share code is the credential: whatever token comes with it, or none.
    ("GET", "/employer/certificates/{code}"): Row("/v1/employer/certificates/{share}", {}, public=True),
    ("GET", "/employer/certificates/{code}/pdf"): Row(
        "/v1/employer/certificates/{share}/pdf", {}, public=True, headers=PDF
    ),
    # Vaccinations: any doctor records; the patient's side is the patient's and their relatives'.
    ("POST", "/vaccinations"): Row(
        "/v1/vaccinations",
        {"doctor": 201, "other_practice": 201},
        body={
            "patient_matricule": ADULT,
            "vaccine": {"code": "J07AM51", "name": "Revaxis"},
            "targets": ["diphtheria", "tetanus", "polio"],
            "given_on": "2026-11-20",
            "lot_number": "L1",
        },
    ),
    ("POST", "/patient/vaccinations"): Row(
        "/v1/patient/vaccinations?for={patient}",
        {"patient": 201, "relative": 201, "former_relative": 403},
        body={
            "vaccine": {"code": "J07BB", "name": "Influvac"},
            "targets": ["influenza"],
            "given_on": "2026-10-20",
        },
    ),
    ("GET", "/patient/vaccinations"): Row(
        "/v1/patient/vaccinations?for={patient}", {"patient": 200, "relative": 200, "former_relative": 403}
    ),
    ("GET", "/patient/vaccinations/recommendations"): Row(
        "/v1/patient/vaccinations/recommendations?for={patient}",
        {"patient": 200, "relative": 200, "former_relative": 403},
    ),
    ("GET", "/patient/vaccinations/booklet.pdf"): Row(
        "/v1/patient/vaccinations/booklet.pdf?for={patient}",
        {"patient": 200, "relative": 200, "former_relative": 403},
        headers={"accept": "application/pdf"},
    ),
    # What changes or ends the objects above.
    ("POST", "/insurer/certificates/{certificate_id}/acknowledge"): Row(
        "/v1/insurer/certificates/{certificate}/acknowledge", {"insurer": 200, "other_insurer": 404}
    ),
    ("POST", "/certificates/{certificate_id}/cancel"): Row(
        # Its window closed: a correction replaces it now.
        "/v1/certificates/{certificate}/cancel",
        {"doctor": 409, "other_practice": 404},
        body={"reason": "mistake"},
    ),
    ("DELETE", "/patient/certificates/{certificate_id}/employer-shares/{code}"): Row(
        "/v1/patient/certificates/{certificate}/employer-shares/{share}?for={patient}",
        {"patient": 204, "relative": 204, "former_relative": 403},
    ),
    ("POST", "/insurer/claims/{claim_id}/decision"): Row(
        "/v1/insurer/claims/{claim}/decision",
        {"other_insurer": 404, "insurer": 200},
        body={"outcome": "rejected", "reason": "not covered"},
    ),
    ("POST", "/invoices/{invoice_id}/cancel"): Row(
        "/v1/invoices/{invoice}/cancel",
        # The claim was decided just above.
        {"doctor": 409, "assistant": 409, "other_practice": 404},
        body={"reason": "mistake"},
    ),
    ("DELETE", "/appointments/{appointment_id}"): Row(
        "/v1/appointments/{appointment}",
        {
            "other_practice": 404,
            "former_relative": 404,
            "relative": 404,
            "assistant": 204,
            "doctor": 204,
            "patient": 204,
        },
    ),
    ("DELETE", "/webhooks/{endpoint_id}"): Row(
        "/v1/webhooks/{webhook}",
        {"other_practice": 404, "former_relative": 404, "relative": 404, "doctor": 404, "patient": 204},
    ),
    ("POST", "/patient/relatives/{link_id}/accept"): Row(
        "/v1/patient/relatives/{ended_link}/accept", {"former_relative": 404, "relative": 404, "patient": 404}
    ),
    ("DELETE", "/patient/relatives/{link_id}"): Row(
        # Either side ends it; once the relative has, the patient no longer finds it.
        "/v1/patient/relatives/{link}",
        {"former_relative": 404, "relative": 204, "patient": 404},
    ),
    ("DELETE", "/patient/record/grants/{doctor_code}"): Row(
        f"/v1/patient/record/grants/{OTHER_DOCTOR}?for={{patient}}", record_owner(204)
    ),
    ("DELETE", "/patient/record/blocks/{doctor_code}"): Row(
        f"/v1/patient/record/blocks/{OTHER_DOCTOR}?for={{patient}}", record_owner(204)
    ),
    ("POST", "/patient/record/close"): Row("/v1/patient/record/close?for={patient}", record_owner(200)),
    ("POST", "/patient/record/reopen"): Row("/v1/patient/record/reopen?for={patient}", record_owner(200)),
    ("DELETE", "/practice/devices/{device_id}"): Row(
        "/v1/practice/devices/{device}", {"other_practice": 404, "doctor": 204}
    ),
    ("DELETE", "/tokens/{token_id}"): Row("/v1/tokens/{spare_token}", {"operator": 204}),
    ("POST", "/sessions/rotate"): Row(
        "/v1/sessions/rotate",
        {
            "other_insurer": 201,
            "other_practice": 201,
            "insurer": 201,
            "assistant": 201,
            "doctor": 201,
            "pharmacist": 201,
            "other_pharmacy": 201,
        },
        fresh=True,
    ),
    ("DELETE", "/sessions/current"): Row(
        "/v1/sessions/current",
        # The local stack's configured operator token is no session: it cannot be ended.
        {**dict.fromkeys(PRINCIPALS, 204), "operator": 403},
        fresh=True,
    ),
}


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    return value


def test_every_route_has_a_row() -> None:
    import app  # noqa: F401  (its blueprints fill the table of routes)

    assert {(r.method, r.path) for r in ROUTES} == set(TABLE)


def test_every_route_answers_every_caller_as_the_table_says(api: Api, fixed_clock: FixedClock) -> None:
    world = build(api, fixed_clock)
    wrong = []
    for (method, _), row in TABLE.items():
        for caller in CALLERS:
            token = world.mint[caller]() if row.fresh and caller in world.mint else world.tokens[caller]
            path, body = _filled(row.path, world.ids), _filled(row.body, world.ids)
            got = api.call(method, path, token, body, headers=row.headers)
            if got.status != row.status(caller):
                wrong.append((method, row.path, caller, row.status(caller), got.status, got.body[:120]))
    assert wrong == [], "\n".join(map(str, wrong))
