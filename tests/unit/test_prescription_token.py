"""The prescription's QR token and the dispensing receipt (chalicelib.domain.prescription_token):
what they carry and nothing more, their size, and that nothing else passes for them."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain import prescription_token, qr_token, signed_token
from chalicelib.domain.prescription_token import PrescriptionClaims, ReceiptClaims
from chalicelib.domain.signed_token import InvalidToken
from tests.unit.test_qr_token import CLAIMS as INVOICE_CLAIMS
from tests.unit.test_qr_token import QR_ALPHANUMERIC, payload, qr_version
from tests.unit.test_signed_token import keys_of, seal

RX = "rx_01JD63E5F7G9H1J3K5M7N9P1Q3"
LONGEST = PrescriptionClaims("rx_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 2**128 - 1)
RECEIPT = ReceiptClaims(RX, "012345", 2, date(2026, 11, 24), 1_795_000_000)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def test_the_qr_names_the_prescription_and_its_access_code_only(key: Ed25519PrivateKey) -> None:
    claims = PrescriptionClaims(RX, secrets.randbits(128))
    token = claims.sign(key)
    assert prescription_token.decode_prescription(token, keys_of(key)) == claims
    assert set(payload(token)) == {1, 6, -1, -2, -6}
    assert payload(token)[-1] == signed_token.Kind.PRESCRIPTION
    assert set(token) <= QR_ALPHANUMERIC


def test_the_longest_tokens_fit_a_qr_code_of_version_10_at_level_m(key: Ed25519PrivateKey) -> None:
    longest = LONGEST.sign(key)
    assert len(longest) <= signed_token.MAX_LENGTH
    assert qr_version(longest) <= 10
    receipt = ReceiptClaims("rx_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "999999", 6, date(2149, 6, 6), 2**40).sign(key)
    assert qr_version(receipt) <= 10


def test_the_receipt_round_trips_with_its_leading_zeros(key: Ed25519PrivateKey) -> None:
    token = RECEIPT.sign(key)
    assert prescription_token.decode_receipt(token, keys_of(key)) == RECEIPT
    assert set(payload(token)) == {1, 6, -1, -2, -5, -7, -8}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PrescriptionClaims("inv_01JD63E5F7G9H1J3K5M7N9P1Q3", 1), "prescription_id"),
        (lambda: PrescriptionClaims(RX, 2**128), "access_code"),
        (lambda: PrescriptionClaims(RX, -1), "access_code"),
        (lambda: ReceiptClaims(RX, "12345", 1, date(2026, 1, 1), 0), "pharmacy_code"),
        (lambda: ReceiptClaims(RX, "１２３４５６", 1, date(2026, 1, 1), 0), "pharmacy_code"),
        (lambda: ReceiptClaims(RX, "123456", 0, date(2026, 1, 1), 0), "round"),
        (lambda: ReceiptClaims(RX, "123456", 7, date(2026, 1, 1), 0), "round"),
    ],
)
def test_claims_out_of_range_are_refused_before_signing(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_no_token_passes_for_another_kind(key: Ed25519PrivateKey) -> None:
    keys = keys_of(key)
    prescription, receipt = LONGEST.sign(key), RECEIPT.sign(key)
    invoice = qr_token.encode(INVOICE_CLAIMS, key)
    for decode, others in (
        (prescription_token.decode_prescription, (receipt, invoice)),
        (prescription_token.decode_receipt, (prescription, invoice)),
    ):
        for token in others:
            with pytest.raises(InvalidToken):
                decode(token, keys)
    with pytest.raises(InvalidToken):
        qr_token.decode(prescription, keys)


def test_a_token_with_other_claims_or_another_key_is_invalid(key: Ed25519PrivateKey) -> None:
    envelope = {1: "DHN", 6: 1_795_000_000, -1: 2, -2: bytes(16)}
    with pytest.raises(InvalidToken):
        prescription_token.decode_prescription(seal({**envelope, -6: 1, -3: 0}, key), keys_of(key))
    with pytest.raises(InvalidToken):
        prescription_token.decode_prescription(seal(envelope, key), keys_of(key))
    assert (
        prescription_token.decode_prescription(seal({**envelope, -6: 7}, key), keys_of(key)).access_code == 7
    )
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidToken):
        prescription_token.decode_prescription(LONGEST.sign(stranger), keys_of(key))
    receipt = {1: "DHN", 6: 1, -1: 3, -2: bytes(16), -5: 1, -8: 1}
    with pytest.raises(InvalidToken):
        prescription_token.decode_receipt(seal({**receipt, -7: 1_000_000}, key), keys_of(key))
    assert (
        prescription_token.decode_receipt(seal({**receipt, -7: 42}, key), keys_of(key)).pharmacy_code
        == "000042"
    )
