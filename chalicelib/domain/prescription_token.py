"""The prescription's signed token, printed as its QR code, and the receipt a pharmacy gets
when it closes a dispensing: two kinds of `signed_token`.

A prescription's token names the prescription (`id`) and carries its random access code
(128 bits), nothing else: not the patient, not the medication. Whoever holds the paper or the
app may take it to any pharmacy, and the code is what lets that pharmacy accept it; the server
keeps only the code's hash. Its `iat` is the second of issue, which the id's ULID carries.

A receipt names the prescription, the pharmacy, which dispensing it closes (1 the first) and
the day, and is signed at the second of closing: the pharmacy's proof, verifiable offline
with the JWKS like every token.

The longest prescription token is 212 characters and the longest receipt 199 (each a QR code
of version 8 at level M); the contract allows version 10.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from chalicelib.domain import signed_token
from chalicelib.domain.signed_token import Claim, InvalidToken, Kind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

ACCESS_CODE_BITS: Final = 128
# A prescription is dispensed once and repeated at most five times.
MAX_ROUND: Final = 6
_EPOCH: Final = date(1970, 1, 1)
_UINT16_MAX: Final = 0xFFFF
_PHARMACY_CODE_MAX: Final = 999_999


def _check_id(kind: Kind, prescription_id: str) -> None:
    try:
        signed_token.ulid_bytes(kind, prescription_id)
    except ValueError as exc:
        raise ValueError(f"prescription_id: {exc}") from None


@dataclass(frozen=True)
class PrescriptionClaims:
    """What a prescription's QR code asserts; validated so that any instance can be signed."""

    prescription_id: str
    access_code: int

    def __post_init__(self) -> None:
        _check_id(Kind.PRESCRIPTION, self.prescription_id)
        if not 0 <= self.access_code < 2**ACCESS_CODE_BITS:
            raise ValueError("access_code must be an unsigned 128-bit integer")

    def sign(self, private_key: Ed25519PrivateKey) -> str:
        return signed_token.sign(
            Kind.PRESCRIPTION,
            self.prescription_id,
            {Claim.ACCESS: self.access_code},
            private_key,
            issued_at=signed_token.ulid_seconds(Kind.PRESCRIPTION, self.prescription_id),
        )


@dataclass(frozen=True)
class ReceiptClaims:
    """What the receipt of one dispensing asserts."""

    prescription_id: str
    pharmacy_code: str
    round: int
    closed_on: date
    # iat: the second the dispensing was closed.
    closed_at: int

    def __post_init__(self) -> None:
        _check_id(Kind.RECEIPT, self.prescription_id)
        if not (
            len(self.pharmacy_code) == 6 and self.pharmacy_code.isdigit() and self.pharmacy_code.isascii()
        ):
            raise ValueError("pharmacy_code must be 6 digits")
        if not 1 <= self.round <= MAX_ROUND:
            raise ValueError(f"round must be from 1 to {MAX_ROUND}")
        if not 0 <= (self.closed_on - _EPOCH).days <= _UINT16_MAX:
            raise ValueError("closed_on out of range for the token")
        if self.closed_at < 0:
            raise ValueError("closed_at must not be before 1970")

    def sign(self, private_key: Ed25519PrivateKey) -> str:
        return signed_token.sign(
            Kind.RECEIPT,
            self.prescription_id,
            {
                Claim.PHARMACY: int(self.pharmacy_code),
                Claim.ROUND: self.round,
                Claim.DATE: (self.closed_on - _EPOCH).days,
            },
            private_key,
            issued_at=self.closed_at,
        )


def decode_prescription(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> PrescriptionClaims:
    """The claims of a prescription token signed by one of `public_keys` (kid → key).

    Raises InvalidToken for anything else, a token of another kind included.
    """
    verified = signed_token.verify(Kind.PRESCRIPTION, token, public_keys)
    # Only a faulty signer could get past the signature with other claims; still not trusted.
    if verified.claims.keys() != {Claim.ACCESS}:
        raise InvalidToken()
    try:
        return PrescriptionClaims(verified.document_id, verified.claims[Claim.ACCESS])
    except ValueError:
        raise InvalidToken() from None


def decode_receipt(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> ReceiptClaims:
    """The claims of a receipt signed by one of `public_keys`; InvalidToken for anything else."""
    verified = signed_token.verify(Kind.RECEIPT, token, public_keys)
    claims = verified.claims
    if (
        claims.keys() != {Claim.PHARMACY, Claim.ROUND, Claim.DATE}
        or claims[Claim.PHARMACY] > _PHARMACY_CODE_MAX
    ):
        raise InvalidToken()
    try:
        return ReceiptClaims(
            verified.document_id,
            f"{claims[Claim.PHARMACY]:06d}",
            claims[Claim.ROUND],
            _EPOCH + timedelta(days=claims[Claim.DATE]),
            verified.issued_at,
        )
    except (ValueError, OverflowError):
        raise InvalidToken() from None
