"""Issuing invoices: the answer's shape, the shares, numbering and every rule that refuses one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, DOCTOR_CODE, NOW, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_practice import new_code
from tests.matricules import matricule

# Born on 2015-06-14: eleven years old on the service date.
CHILD = matricule("20150614", "123")


def issued(api: Api, token: str, matricule: str = ADULT, **fields: Any) -> dict[str, Any]:
    got = api.invoice(token, matricule, **fields)
    assert got.status == 201, got.body
    assert got.headers["content-type"] == "application/json"
    return dict(got.json)


def test_the_answer_is_the_contract_shape(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    assert invoice["id"].startswith("inv_")
    assert invoice["number"] == "2026-000001"
    assert invoice["doctor_code"] == DOCTOR_CODE
    assert invoice["patient_matricule"] == ADULT
    assert invoice["insurer"] == "CNS"
    assert invoice["service_date"] == "2026-11-20"
    assert invoice["issued_at"] == "2026-11-23T09:30:00.000Z"
    assert invoice["status"] == "paid"
    assert invoice["lines"] == [
        {
            "code": "C1",
            "label": "Consultation du médecin généraliste",
            "quantity": 1,
            "unit_cents": 5770,
            "amount_cents": 5770,
            "reimbursable": True,
        }
    ]
    assert invoice["total_cents"] == 5770
    assert invoice["insurer_share_cents"] == 5078
    assert invoice["patient_share_cents"] == 692
    assert invoice["paid_cents"] == 5770
    assert invoice["direct_payment"] is False
    assert invoice["qr"].startswith("DHN1:")
    assert invoice["vault"]["stored"] is True
    assert invoice["vault"]["document_id"].startswith("doc_")
    assert invoice["links"] == {
        "pdf": f"/v1/invoices/{invoice['id']}/pdf",
        "qr_svg": f"/v1/invoices/{invoice['id']}/qr.svg",
    }
    assert invoice["payments"] == [
        {"amount_cents": 5770, "method": "card", "paid_at": "2026-11-23T09:30:00.000Z"}
    ]
    assert invoice["cancel_reason"] is None


def test_qr_carries_no_personal_data(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    qr = issued(api, doctor)["qr"]
    assert ADULT not in qr and "Schmit" not in qr and len(qr) < 200


def test_an_assistant_issues_under_the_doctor(api: Api) -> None:
    doctor = api.doctor()
    assistant = api.enrol(new_code(api, doctor, "assistant"))
    api.patient()
    first = issued(api, doctor)
    second = issued(api, assistant)
    assert second["doctor_code"] == DOCTOR_CODE
    assert [first["number"], second["number"]] == ["2026-000001", "2026-000002"]


def test_each_doctor_has_its_own_sequence(api: Api) -> None:
    first = api.doctor()
    second = api.doctor("234567-89", "Dr Paul Hoffmann")
    api.patient()
    assert issued(api, first)["number"] == "2026-000001"
    assert issued(api, second)["number"] == "2026-000001"
    assert issued(api, first)["number"] == "2026-000002"


def test_a_new_year_starts_a_new_sequence(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    api.patient()
    assert issued(api, doctor)["number"] == "2026-000001"
    fixed_clock.advance(timedelta(days=40))
    assert issued(api, doctor, service_date="2027-01-01")["number"] == "2027-000001"


def test_the_year_is_the_practice_calendar_year(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    api.patient()
    # 2026-12-31T23:30Z is already 1 January 2027 in Luxembourg.
    fixed_clock.advance(timedelta(days=38, hours=14))
    assert issued(api, doctor, service_date="2027-01-01")["number"] == "2027-000001"


def test_unpaid_invoice_is_issued(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor, payment=None)
    assert invoice["status"] == "issued"
    assert invoice["paid_cents"] == 0
    assert invoice["payments"] == []


class TestShares:
    def test_adult_88_percent(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor)
        assert (invoice["insurer_share_cents"], invoice["patient_share_cents"]) == (5078, 692)

    def test_minor_100_percent(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient(CHILD)
        invoice = issued(api, doctor, CHILD)
        assert (invoice["insurer_share_cents"], invoice["patient_share_cents"]) == (5770, 0)

    def test_rcam_85_percent_even_for_a_minor(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient(insurer="RCAM")
        api.patient(CHILD, insurer="RCAM")
        for who in (ADULT, CHILD):
            invoice = issued(api, doctor, who)
            # 85 % of 5770 is 4904.5: half up to 4905.
            assert (invoice["insurer_share_cents"], invoice["patient_share_cents"]) == (4905, 865)

    def test_convenances_personnelles_are_never_reimbursed(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient(CHILD)
        invoice = issued(
            api,
            doctor,
            CHILD,
            lines=[{"code": "C1"}, {"code": "CP1", "quantity": 2}],
            payment=None,
        )
        cp = invoice["lines"][1]
        assert cp["reimbursable"] is False
        assert cp["amount_cents"] == 2 * cp["unit_cents"]
        assert invoice["total_cents"] == 5770 + cp["amount_cents"]
        assert invoice["insurer_share_cents"] == 5770
        assert invoice["patient_share_cents"] == cp["amount_cents"]

    @pytest.mark.parametrize("code", [f"CP{i}" for i in range(1, 9)])
    def test_every_cp_code_is_billed_not_reimbursed(self, api: Api, code: str) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, lines=[{"code": code}], payment=None)
        assert invoice["lines"][0]["reimbursable"] is False
        assert invoice["insurer_share_cents"] == 0
        assert invoice["patient_share_cents"] == invoice["total_cents"] > 0

    def test_direct_payment_patient_pays_only_the_share(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        invoice = issued(api, doctor, direct_payment=True, payment={"method": "cash", "amount_cents": 692})
        assert invoice["direct_payment"] is True
        assert invoice["status"] == "claimed"
        assert invoice["paid_cents"] == 692

    def test_tariff_in_force_on_the_service_date(self, api: Api, fixed_clock: FixedClock) -> None:
        doctor = api.doctor()
        api.patient()
        # C1 cost 56,30 EUR before 1 September 2023.
        fixed_clock.advance(datetime(2025, 6, 1, 9, tzinfo=UTC) - NOW)
        invoice = issued(api, doctor, service_date="2023-08-31", payment=None)
        assert invoice["lines"][0]["unit_cents"] == 5630


class TestRefusals:
    def test_unknown_code_names_the_line(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        got = api.invoice(doctor, lines=[{"code": "C1"}, {"code": "ZZ9"}], payment=None)
        assert field_errors(got) == ["lines[1].code"]
        got = api.invoice(doctor, lines=[{"code": "ZZ9"}], payment=None)
        assert field_errors(got) == ["lines[0].code"]

    def test_code_not_yet_valid_on_the_service_date(self, api: Api, fixed_clock: FixedClock) -> None:
        doctor = api.doctor()
        api.patient()
        fixed_clock.advance(datetime(2025, 6, 1, 9, tzinfo=UTC) - NOW)
        got = api.invoice(doctor, service_date="2023-08-31", lines=[{"code": "V1"}], payment=None)
        assert field_errors(got) == ["lines[0].code"]

    def test_bad_matricule(self, api: Api) -> None:
        doctor = api.doctor()
        assert field_errors(api.invoice(doctor, "1893120105733")) == ["patient_matricule"]

    def test_service_date_in_the_future(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        assert field_errors(api.invoice(doctor, service_date="2026-11-24")) == ["service_date"]

    def test_service_date_today_is_fine(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        assert api.invoice(doctor, service_date="2026-11-23").status == 201

    def test_service_date_more_than_two_years_back(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        assert field_errors(api.invoice(doctor, service_date="2024-11-22")) == ["service_date"]
        assert api.invoice(doctor, service_date="2024-11-23").status == 201

    def test_rcam_direct_payment(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient(insurer="RCAM")
        got = api.invoice(doctor, direct_payment=True, payment=None)
        assert field_errors(got) == ["direct_payment"]

    def test_overpayment(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        got = api.invoice(doctor, payment={"method": "card", "amount_cents": 5771})
        assert field_errors(got) == ["payment.amount_cents"]
        got = api.invoice(doctor, direct_payment=True, payment={"method": "card", "amount_cents": 693})
        assert field_errors(got) == ["payment.amount_cents"]

    @pytest.mark.parametrize(
        ("payment", "field"),
        [
            ({"method": "cheque", "amount_cents": 100}, "payment.method"),
            ({"method": "card", "amount_cents": 57.7}, "payment.amount_cents"),
            ({"method": "card", "amount_cents": "5770"}, "payment.amount_cents"),
            ({"method": "card", "amount_cents": -1}, "payment.amount_cents"),
            ({"method": "card", "amount_cents": 5770, "paid_at": "2026-11-23T09:00:00"}, "payment.paid_at"),
            (
                {"method": "card", "amount_cents": 5770, "paid_at": "2026-11-24T08:00:00+01:00"},
                "payment.paid_at",
            ),
        ],
    )
    def test_bad_payment(self, api: Api, payment: dict[str, Any], field: str) -> None:
        doctor = api.doctor()
        api.patient()
        assert field_errors(api.invoice(doctor, payment=payment)) == [field]

    @pytest.mark.parametrize(
        ("lines", "field"),
        [
            ([], "lines"),
            ([{"code": "C1", "quantity": 0}], "lines[0].quantity"),
            ([{"code": "C1", "extra": 1}], "lines[0].extra"),
            ([{"quantity": 1}], "lines[0].code"),
        ],
    )
    def test_bad_lines(self, api: Api, lines: list[dict[str, Any]], field: str) -> None:
        doctor = api.doctor()
        api.patient()
        assert field_errors(api.invoice(doctor, lines=lines)) == [field]

    def test_patient_not_in_the_registry_needs_an_insurer(self, api: Api) -> None:
        doctor = api.doctor()
        assert field_errors(api.invoice(doctor)) == ["insurer"]
        invoice = issued(api, doctor, insurer="EMCFL")
        assert invoice["insurer"] == "EMCFL"
        assert invoice["vault"] == {"stored": False, "document_id": None}

    def test_insurer_must_match_the_registry(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        assert field_errors(api.invoice(doctor, insurer="RCAM")) == ["insurer"]
        assert issued(api, doctor, insurer="CNS")["insurer"] == "CNS"

    def test_a_patient_may_not_issue(self, api: Api) -> None:
        patient = api.patient()
        assert_problem(api.invoice(patient), 403)

    def test_an_insurer_may_not_issue(self, api: Api) -> None:
        api.patient()
        assert_problem(api.invoice(api.insurer()), 403)

    def test_nothing_is_issued_after_a_refusal(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        api.invoice(doctor, lines=[{"code": "ZZ9"}])
        assert api.get("/v1/invoices", doctor).json["items"] == []
        assert issued(api, doctor)["number"] == "2026-000001"


@pytest.mark.parametrize("paid_at", ["2026-11-20T10:00:00", "2026-11-24T10:00:00Z"])
def test_a_later_payment_has_an_instant_in_the_past(api: Api, paid_at: str) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = api.invoice(doctor, payment=None).json
    got = api.post(
        f"/v1/invoices/{invoice['id']}/payments",
        doctor,
        {"amount_cents": 100, "method": "cash", "paid_at": paid_at},
    )
    assert field_errors(got) == ["paid_at"]
