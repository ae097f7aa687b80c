"""AWS calls per route: one request to each main route of the API, in-process on moto, with
its DynamoDB, S3 and SQS calls counted by operation name. Target: no Scan on any route.

Creating requests carry an Idempotency-Key, as clients send them. Every route is called
twice with fresh inputs made through the API beforehand, and the second call is the one
counted: the first pays for what a process makes once (clients, keys, lazy imports), which
`bench.coldstart` follows instead.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import fakeaws, table

PDF = "application/pdf"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None
    body: Any = None
    accept: str | None = None
    # A creating request, sent with an Idempotency-Key as practice software and apps send it.
    creates: bool = False


class World:
    """A practice open around the clock, an opted-in patient of the CNS and the CNS itself,
    and the inputs each route needs, made through the API."""

    def __init__(self, api: fakeaws.Api) -> None:
        self.api = api
        self.doctor = api.doctor()
        self.patient = api.patient()
        self.insurer = api.insurer()
        self.webhooks = 0
        api.call("PUT", "/practice/availability", self.doctor, self.hours())

    @staticmethod
    def hours() -> dict[str, Any]:
        every_day = [{"weekday": day, "start": "00:00", "end": "23:45"} for day in range(1, 8)]
        return {"slot_minutes": 15, "weekly": every_day}

    def invoice(self, paid: bool = True) -> dict[str, Any]:
        if paid:
            issued: dict[str, Any] = self.api.invoice(self.doctor)
            return issued
        body = {
            "patient_matricule": fakeaws.PATIENT,
            "service_date": time.strftime("%Y-%m-%d", time.gmtime()),
            "lines": [{"code": "C1"}],
        }
        unpaid: dict[str, Any] = self.api.post("/invoices", self.doctor, body)
        return unpaid

    def claim(self) -> dict[str, Any]:
        """A pending claim of the patient's, for a paid invoice."""
        proof = {"method": "card", "paid_at": datetime.now(UTC).isoformat()}
        body = {"invoice_id": self.invoice()["id"], "proof_of_payment": proof}
        filed: dict[str, Any] = self.api.post("/patient/claims", self.patient, body)
        return filed

    def slot(self) -> str:
        """The first free slot of the doctor's that is an hour away or more."""
        free = self.api.call("GET", f"/doctors/{fakeaws.DOCTOR}/slots?{self.week()}", self.patient)["items"]
        return str(free[4]["start"])

    def appointment(self) -> dict[str, Any]:
        booked: dict[str, Any] = self.api.post(
            "/appointments", self.patient, {"doctor_code": fakeaws.DOCTOR, "start": self.slot()}
        )
        return booked

    @staticmethod
    def week() -> str:
        today = date.today()
        return f"from={today}&to={today + timedelta(days=6)}"

    def webhook_url(self) -> str:
        self.webhooks += 1
        return f"http://127.0.0.1:9/hooks/{self.webhooks}"


def _issue(world: World) -> Request:
    body = {
        "patient_matricule": fakeaws.PATIENT,
        "service_date": time.strftime("%Y-%m-%d", time.gmtime()),
        "lines": [{"code": "C1", "quantity": 1}],
        "payment": {"method": "card", "amount_cents": 5770},
    }
    return Request("POST", "/invoices", world.doctor, body, creates=True)


def _read(world: World) -> Request:
    return Request("GET", f"/invoices/{world.invoice()['id']}", world.doctor)


def _list(world: World) -> Request:
    return Request("GET", "/invoices?limit=20", world.doctor)


def _pdf(world: World) -> Request:
    return Request("GET", f"/invoices/{world.invoice()['id']}/pdf", world.doctor, accept=PDF)


def _qr(world: World) -> Request:
    return Request("GET", f"/invoices/{world.invoice()['id']}/qr.svg", world.doctor)


def _pay(world: World) -> Request:
    body = {"amount_cents": 1000, "method": "cash"}
    invoice = world.invoice(paid=False)["id"]
    return Request("POST", f"/invoices/{invoice}/payments", world.doctor, body, creates=True)


def _cancel(world: World) -> Request:
    invoice = world.invoice(paid=False)["id"]
    return Request("POST", f"/invoices/{invoice}/cancel", world.doctor, {"reason": "erreur de saisie"})


def _scan(world: World) -> Request:
    return Request("POST", "/insurer/scan", world.insurer, {"qr": world.invoice()["qr"]})


def _documents(world: World) -> Request:
    return Request("GET", "/patient/documents?limit=20", world.patient)


def _download(world: World) -> Request:
    document = world.invoice()["vault"]["document_id"]
    return Request("GET", f"/patient/documents/{document}", world.patient)


def _file_claim(world: World) -> Request:
    proof = {"method": "card", "paid_at": datetime.now(UTC).isoformat()}
    body = {"invoice_id": world.invoice()["id"], "proof_of_payment": proof}
    return Request("POST", "/patient/claims", world.patient, body, creates=True)


def _claim_queue(world: World) -> Request:
    return Request("GET", "/insurer/claims?status=pending&limit=20", world.insurer)


def _decide(world: World) -> Request:
    decision = {"outcome": "reimbursed", "payment_reference": "BENCH"}
    return Request("POST", f"/insurer/claims/{world.claim()['id']}/decision", world.insurer, decision)


def _publish(world: World) -> Request:
    return Request("PUT", "/practice/availability", world.doctor, world.hours())


def _slots(world: World) -> Request:
    return Request("GET", f"/doctors/{fakeaws.DOCTOR}/slots?{world.week()}", world.patient)


def _book(world: World) -> Request:
    body = {"doctor_code": fakeaws.DOCTOR, "start": world.slot()}
    return Request("POST", "/appointments", world.patient, body, creates=True)


def _unbook(world: World) -> Request:
    return Request("DELETE", f"/appointments/{world.appointment()['id']}", world.patient)


def _agenda(world: World) -> Request:
    return Request("GET", f"/practice/appointments?date={date.today()}", world.doctor)


def _register_webhook(world: World) -> Request:
    return Request("POST", "/webhooks", world.patient, {"url": world.webhook_url()}, creates=True)


def _enrol(world: World) -> Request:
    made = world.api.post("/practice/enrolment-codes", world.doctor, {"role": "assistant"})
    body = {"enrolment_code": made["enrolment_code"], "device_name": "PC"}
    return Request("POST", "/devices", None, body, creates=True)


def _status(world: World) -> Request:
    return Request("POST", "/patients/status", world.doctor, {"matricule": fakeaws.PATIENT})


# What each row is, the route as declared, and how to make its request.
ROUTES: list[tuple[str, str, Callable[[World], Request]]] = [
    ("issue an invoice", "POST /v1/invoices", _issue),
    ("read an invoice", "GET /v1/invoices/{invoice_id}", _read),
    ("list invoices", "GET /v1/invoices", _list),
    ("print an invoice", "GET /v1/invoices/{invoice_id}/pdf", _pdf),
    ("draw its QR code", "GET /v1/invoices/{invoice_id}/qr.svg", _qr),
    ("record a payment", "POST /v1/invoices/{invoice_id}/payments", _pay),
    ("cancel an invoice", "POST /v1/invoices/{invoice_id}/cancel", _cancel),
    ("scan a QR code", "POST /v1/insurer/scan", _scan),
    ("list the vault", "GET /v1/patient/documents", _documents),
    ("download a document", "GET /v1/patient/documents/{document_id}", _download),
    ("file a claim", "POST /v1/patient/claims", _file_claim),
    ("read the claims queue", "GET /v1/insurer/claims", _claim_queue),
    ("decide a claim", "POST /v1/insurer/claims/{claim_id}/decision", _decide),
    ("publish opening hours", "PUT /v1/practice/availability", _publish),
    ("list free slots", "GET /v1/doctors/{doctor_code}/slots", _slots),
    # Cancelling first: a patient holds at most 2 appointments to come with one doctor, and
    # each cancellation books the one it cancels.
    ("cancel an appointment", "DELETE /v1/appointments/{appointment_id}", _unbook),
    ("book an appointment", "POST /v1/appointments", _book),
    ("read the agenda", "GET /v1/practice/appointments", _agenda),
    ("register a webhook", "POST /v1/webhooks", _register_webhook),
    ("enrol a device", "POST /v1/devices", _enrol),
    ("check a patient's status", "POST /v1/patients/status", _status),
]
SCANS = "scans"
# A figure is `ROUTE|service.Operation` (calls of that operation), or `ROUTE|scans`.
TARGETS = {f"{route}|{SCANS}": 0.0 for _, route, _ in ROUTES}


def _send(api: fakeaws.Api, request: Request) -> None:
    key = str(uuid.uuid4()) if request.creates else None
    api.call(request.method, request.path, request.token, request.body, key, request.accept)


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    with fakeaws.api() as api:
        world = World(api)
        for _what, _route, make in ROUTES:
            _send(api, make(world))
        for _, route, make in ROUTES:
            request = make(world)
            with api.meter.window() as made:
                _send(api, request)
            figures[f"{route}|{SCANS}"] = made.calls["dynamodb.Scan"]
            figures.update({f"{route}|{name}": n for name, n in sorted(made.calls.items())})
    return figures


def rows(figures: dict[str, float]) -> list[str]:
    """One row per route: its AWS calls in all, its Scans against their target, and its calls
    by service and operation."""
    calls: dict[str, dict[str, float]] = defaultdict(dict)
    for figure, value in figures.items():
        route, name = figure.split("|")
        calls[route][name] = value
    width = max(len(route) for _, route, _ in ROUTES)
    lines = [f"  {'route':{width}}  {'calls':>5}  {'scans':>5}        {'':24}  by operation"]
    for what, route, _ in ROUTES:
        found = calls[route]
        scans = found.pop(SCANS)
        by_service: dict[str, list[str]] = defaultdict(list)
        for name, n in found.items():
            service, operation = name.split(".")
            by_service[service].append(f"{operation} {n:g}")
        spelled = "; ".join(f"{service}: {', '.join(ops)}" for service, ops in by_service.items())
        verdict = table.verdict(scans, TARGETS[f"{route}|{SCANS}"])
        lines.append(
            f"  {route:{width}}  {sum(found.values()):5g}  {scans:5g} {verdict:4}   {what:24}  {spelled}"
        )
    return lines


if __name__ == "__main__":
    table.main(["bench.route_calls"])
