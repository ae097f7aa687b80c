"""What a practice does with its invoices afterwards: read, list, print, pay, cancel; and
that no other practice can."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import CHILD, issued
from tests.api.test_practice import new_code


def listed(api: Api, token: str, query: str = "") -> list[str]:
    got = api.get(f"/v1/invoices{query}", token)
    assert got.status == 200, got.body
    return [i["number"] for i in got.json["items"]]


def qr_in_pdf(data: bytes) -> list[str]:
    image = pdfium.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


class TestRead:
    def test_get_returns_what_issue_returned(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        got = api.get(f"/v1/invoices/{invoice['id']}", doctor)
        assert got.status == 200
        assert got.json == invoice

    def test_another_device_of_the_practice_reads_it(self, api: Api) -> None:
        doctor = api.doctor()
        assistant = api.enrol(new_code(api, doctor, "assistant"))
        api.patient()
        invoice = issued(api, doctor)
        assert api.get(f"/v1/invoices/{invoice['id']}", assistant).json == invoice

    def test_another_practice_gets_404(self, api: Api) -> None:
        doctor = api.doctor()
        other = api.doctor("234567-89", "Dr Paul Hoffmann")
        api.patient()
        invoice_id = issued(api, doctor)["id"]
        for path in ("", "/pdf", "/qr.svg"):
            got = api.get(f"/v1/invoices/{invoice_id}{path}", other, headers={"Accept": "*/*"})
            assert_problem(got, 404)
        assert_problem(
            api.post(f"/v1/invoices/{invoice_id}/payments", other, {"amount_cents": 1, "method": "cash"}), 404
        )
        assert_problem(api.post(f"/v1/invoices/{invoice_id}/cancel", other, {"reason": "x"}), 404)
        assert listed(api, other) == []

    @pytest.mark.parametrize("invoice_id", ["nope", "inv_123", "doc_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z"])
    def test_unknown_id_is_404(self, api: Api, invoice_id: str) -> None:
        doctor = api.doctor()
        assert_problem(api.get(f"/v1/invoices/{invoice_id}", doctor), 404)

    def test_patients_and_insurers_may_not_read_practice_routes(self, api: Api) -> None:
        doctor = api.doctor()
        patient = api.patient()
        insurer = api.insurer()
        invoice_id = issued(api, doctor)["id"]
        for token in (patient, insurer):
            assert_problem(api.get(f"/v1/invoices/{invoice_id}", token), 403)
            assert_problem(api.get("/v1/invoices", token), 403)


class TestList:
    @pytest.fixture
    def three(self, api: Api, fixed_clock: FixedClock) -> str:
        """Invoices 1 and 2 for the adult on 21 and 22 November, 3 for the child on the 23rd."""
        doctor = api.doctor()
        api.patient()
        api.patient(CHILD)
        fixed_clock.advance(timedelta(days=-2))
        issued(api, doctor, service_date="2026-11-20")
        fixed_clock.advance(timedelta(days=1))
        issued(api, doctor, payment=None)
        fixed_clock.advance(timedelta(days=1))
        issued(api, doctor, CHILD)
        return doctor

    def test_newest_first(self, api: Api, three: str) -> None:
        assert listed(api, three) == ["2026-000003", "2026-000002", "2026-000001"]

    def test_from_and_to_are_inclusive(self, api: Api, three: str) -> None:
        assert listed(api, three, "?from=2026-11-22&to=2026-11-22") == ["2026-000002"]
        assert listed(api, three, "?from=2026-11-22") == ["2026-000003", "2026-000002"]
        assert listed(api, three, "?to=2026-11-22") == ["2026-000002", "2026-000001"]
        assert listed(api, three, "?from=2026-11-24") == []

    def test_by_patient_id(self, api: Api, three: str) -> None:
        assert listed(api, three, f"?patient_id={api.ids[ADULT]}") == ["2026-000002", "2026-000001"]
        assert listed(api, three, f"?patient_id={api.ids[CHILD]}&from=2026-11-23") == ["2026-000003"]
        assert listed(api, three, "?patient_id=pat_01KAAAAAAAAAAAAAAAAAAAAAAA") == []

    def test_by_status(self, api: Api, three: str) -> None:
        assert listed(api, three, "?status=issued") == ["2026-000002"]
        assert listed(api, three, "?status=paid") == ["2026-000003", "2026-000001"]
        assert listed(api, three, "?status=cancelled") == []

    def test_pages_until_the_cursor_is_null(self, api: Api, three: str) -> None:
        pages = api.pages("/v1/invoices?status=paid", three, 1)
        assert [i["number"] for page in pages for i in page] == ["2026-000003", "2026-000001"]

    def test_default_page_size_is_20(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        for _ in range(21):
            issued(api, doctor, payment=None)
        page = api.get("/v1/invoices", doctor).json
        assert len(page["items"]) == 20
        assert page["next_cursor"]
        rest = api.get(f"/v1/invoices?cursor={page['next_cursor']}", doctor).json
        assert len(rest["items"]) == 1
        assert rest["next_cursor"] is None

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("?limit=0", "limit"),
            ("?limit=101", "limit"),
            ("?limit=ten", "limit"),
            ("?from=23.11.2026", "from"),
            ("?to=2026-13-01", "to"),
            ("?status=lost", "status"),
            (f"?patient_id={ADULT}", "patient_id"),
            ("?patient_id=pat_nope", "patient_id"),
            ("?cursor=%%%", "cursor"),
            ("?from=2026-11-23&to=2026-11-22", "to"),
            ("?cursor=bm90IGpzb24", "cursor"),
            ("?cursor=WzEsMl0", "cursor"),
        ],
    )
    def test_bad_query_is_422(self, api: Api, query: str, field: str) -> None:
        doctor = api.doctor()
        assert field_errors(api.get(f"/v1/invoices{query}", doctor)) == [field]

    @pytest.mark.parametrize(
        "key",
        [
            {"a": 1},
            {"invoice_id": {"S": "inv_x"}},
            {"invoice_id": {"N": "1"}, "doctor_code": {"S": "1"}, "issued_at": {"S": "x"}},
        ],
    )
    def test_a_forged_cursor_is_422(self, api: Api, key: dict[str, Any]) -> None:
        doctor = api.doctor()
        cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
        assert field_errors(api.get(f"/v1/invoices?cursor={cursor}", doctor)) == ["cursor"]

    def test_a_patient_cursor_carries_no_matricule(self, api: Api, three: str) -> None:
        pages = api.pages(f"/v1/invoices?patient_id={api.ids[ADULT]}", three, 1)
        assert [i["number"] for page in pages for i in page] == ["2026-000002", "2026-000001"]
        cursor = api.get(f"/v1/invoices?patient_id={api.ids[ADULT]}&limit=1", three).json["next_cursor"]
        assert ADULT not in base64.urlsafe_b64decode(cursor + "==").decode()

    def test_a_cursor_resumes_only_its_own_list(self, api: Api) -> None:
        doctor = api.doctor()
        other = api.doctor("234567-89", "Dr Paul Hoffmann")
        api.patient()
        for _ in range(2):
            issued(api, doctor)
        cursor = api.get("/v1/invoices?limit=1", doctor).json["next_cursor"]
        assert field_errors(api.get(f"/v1/invoices?cursor={cursor}", other)) == ["cursor"]
        by_patient = f"/v1/invoices?cursor={cursor}&patient_id={api.ids[ADULT]}"
        assert field_errors(api.get(by_patient, doctor)) == ["cursor"]


class TestDocuments:
    def test_pdf_carries_the_invoice_qr(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        got = api.get(invoice["links"]["pdf"], doctor, headers={"Accept": "application/pdf"})
        assert got.status == 200
        assert got.headers["content-type"] == "application/pdf"
        assert got.body.startswith(b"%PDF")
        assert qr_in_pdf(got.body) == [invoice["qr"]]

    def test_qr_svg(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        got = api.get(invoice["links"]["qr_svg"], doctor)
        assert got.status == 200
        assert got.headers["content-type"] == "image/svg+xml"
        assert ET.fromstring(got.body).tag == "{http://www.w3.org/2000/svg}svg"


class TestPayments:
    def test_payment_completes_the_invoice(self, api: Api, fixed_clock: FixedClock) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, payment=None)
        path = f"/v1/invoices/{invoice['id']}/payments"
        first = api.post(path, doctor, {"amount_cents": 2000, "method": "cash"})
        assert first.status == 201, first.body
        assert first.json["status"] == "issued"
        assert first.json["paid_cents"] == 2000
        fixed_clock.advance(timedelta(hours=1))
        second = api.post(
            path, doctor, {"amount_cents": 3770, "method": "transfer", "paid_at": "2026-11-23T10:00:00Z"}
        )
        assert second.status == 201, second.body
        assert second.json["status"] == "paid"
        assert second.json["paid_cents"] == 5770
        assert second.json["payments"] == [
            {"amount_cents": 2000, "method": "cash", "paid_at": "2026-11-23T09:30:00.000Z"},
            {"amount_cents": 3770, "method": "transfer", "paid_at": "2026-11-23T10:00:00.000Z"},
        ]
        assert api.get(f"/v1/invoices/{invoice['id']}", doctor).json == second.json

    def test_overpayment_is_422(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, payment={"method": "card", "amount_cents": 5000})
        path = f"/v1/invoices/{invoice['id']}/payments"
        assert field_errors(api.post(path, doctor, {"amount_cents": 771, "method": "cash"})) == [
            "amount_cents"
        ]
        assert api.post(path, doctor, {"amount_cents": 770, "method": "cash"}).json["status"] == "paid"

    def test_direct_payment_owes_only_the_patient_share(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, direct_payment=True, payment=None)
        path = f"/v1/invoices/{invoice['id']}/payments"
        assert field_errors(api.post(path, doctor, {"amount_cents": 693, "method": "cash"})) == [
            "amount_cents"
        ]
        paid = api.post(path, doctor, {"amount_cents": 692, "method": "cash"}).json
        # The insurer's direct-payment claim is queued with the invoice: it stays `claimed`.
        assert (paid["paid_cents"], paid["status"]) == (692, "claimed")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"amount_cents": 0, "method": "cash"}, "amount_cents"),
            ({"amount_cents": 1.5, "method": "cash"}, "amount_cents"),
            ({"amount_cents": 100, "method": "bitcoin"}, "method"),
            ({"amount_cents": 100}, "method"),
            ({"amount_cents": 100, "method": "cash", "paid_at": "yesterday"}, "paid_at"),
            ({"amount_cents": 100, "method": "cash", "paid_at": "2026-11-23T09:00:00"}, "paid_at"),
            ({"amount_cents": 100, "method": "cash", "paid_at": "2026-11-23T09:31:00Z"}, "paid_at"),
        ],
    )
    def test_bad_payment_is_422(self, api: Api, body: dict[str, Any], field: str) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, payment=None)
        assert field_errors(api.post(f"/v1/invoices/{invoice['id']}/payments", doctor, body)) == [field]

    def test_a_cancelled_invoice_takes_no_payment(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, payment=None)
        api.post(f"/v1/invoices/{invoice['id']}/cancel", doctor, {"reason": "erreur"})
        got = api.post(
            f"/v1/invoices/{invoice['id']}/payments", doctor, {"amount_cents": 1, "method": "cash"}
        )
        assert_problem(got, 409)


class TestCancel:
    def test_cancel(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        got = api.post(f"/v1/invoices/{invoice['id']}/cancel", doctor, {"reason": "Erreur de patient"})
        assert got.status == 200, got.body
        assert got.json["status"] == "cancelled"
        assert got.json["cancel_reason"] == "Erreur de patient"
        assert api.get(f"/v1/invoices/{invoice['id']}", doctor).json["status"] == "cancelled"
        assert listed(api, doctor, "?status=cancelled") == [invoice["number"]]

    def test_cancelling_twice_answers_the_cancelled_invoice(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        path = f"/v1/invoices/{invoice['id']}/cancel"
        first = api.post(path, doctor, {"reason": "doublon"})
        assert api.post(path, doctor, {"reason": "doublon"}).json == first.json

    def test_reason_is_required(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        path = f"/v1/invoices/{invoice['id']}/cancel"
        assert field_errors(api.post(path, doctor, {})) == ["reason"]
        assert field_errors(api.post(path, doctor, {"reason": "   "})) == ["reason"]


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "text/html, application/pdf;q=0.9"])
def test_pdf_for_any_accept_that_admits_it(api: Api, accept: str) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    got = api.get(invoice["links"]["pdf"], doctor, headers={"Accept": accept})
    assert got.status == 200
    assert got.body.startswith(b"%PDF")


@pytest.mark.parametrize("accept", [None, "application/json", "application/*"])
def test_pdf_without_an_accept_that_admits_it_is_406(api: Api, accept: str | None) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    got = api.get(invoice["links"]["pdf"], doctor, headers={"Accept": accept} if accept else {})
    assert_problem(got, 406)


def test_paid_at_with_an_offset_is_kept_as_the_instant(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor, payment=None)
    body = {"amount_cents": 5770, "method": "card", "paid_at": "2026-11-23T10:15:00+01:00"}
    got = api.post(f"/v1/invoices/{invoice['id']}/payments", doctor, body)
    assert got.status == 201, got.body
    assert got.json["payments"][0]["paid_at"] == "2026-11-23T09:15:00.000Z"
