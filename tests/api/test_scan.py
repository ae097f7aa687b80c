"""The insurer's scan of a printed invoice's QR code."""

from __future__ import annotations

import pytest

from chalicelib.domain import qr_token
from tests.api.conftest import Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_invoices import issued


def test_own_insurer_reads_the_invoice(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    got = api.post("/v1/insurer/scan", api.insurer("CNS"), {"qr": invoice["qr"]})
    assert got.status == 200, got.body
    assert got.json == invoice


def test_another_insurer_gets_404(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    for other in ("CMFEP", "RCAM"):
        assert_problem(api.post("/v1/insurer/scan", api.insurer(other), {"qr": invoice["qr"]}), 404)


def altered(token: str, position: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    swap = alphabet[(alphabet.index(token[position]) + 1) % len(alphabet)]
    return token[:position] + swap + token[position + 1 :]


@pytest.mark.parametrize("position", [5, 40, 80, -1])
def test_one_character_changed_is_422_revealing_nothing(api: Api, position: int) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    insurer = api.insurer("CNS")
    position %= len(invoice["qr"])
    got = api.post("/v1/insurer/scan", insurer, {"qr": altered(invoice["qr"], position)})
    assert field_errors(got) == ["qr"]
    text = got.body.decode()
    for secret in (invoice["id"], invoice["number"], invoice["patient_matricule"], "CNS", "5770"):
        assert secret not in text


@pytest.mark.parametrize("qr", ["hello", "DHN1:", "DHN1:" + "A" * 144, "DHN2:" + "0" * 144])
def test_garbage_is_422(api: Api, qr: str) -> None:
    assert field_errors(api.post("/v1/insurer/scan", api.insurer(), {"qr": qr})) == ["qr"]


def test_all_invalid_tokens_get_the_same_answer(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    token = issued(api, doctor)["qr"]
    insurer = api.insurer()
    answers = {
        api.post("/v1/insurer/scan", insurer, {"qr": qr}).body
        for qr in (altered(token, 10), altered(token, len(token) - 1), "nonsense")
    }
    assert len(answers) == 1


def test_signed_by_an_unknown_key_is_422(api: Api) -> None:
    from datetime import date

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    claims = qr_token.QrClaims(invoice["id"], "CNS", 5770, date(2026, 11, 23))
    forged = qr_token.encode(claims, Ed25519PrivateKey.generate())
    assert field_errors(api.post("/v1/insurer/scan", api.insurer(), {"qr": forged})) == ["qr"]


def test_scan_is_for_insurers(api: Api) -> None:
    doctor = api.doctor()
    patient = api.patient()
    invoice = issued(api, doctor)
    for token in (doctor, patient):
        assert_problem(api.post("/v1/insurer/scan", token, {"qr": invoice["qr"]}), 403)
    assert_problem(api.post("/v1/insurer/scan", None, {"qr": invoice["qr"]}), 401)


def test_qr_is_required(api: Api) -> None:
    assert field_errors(api.post("/v1/insurer/scan", api.insurer(), {})) == ["qr"]
