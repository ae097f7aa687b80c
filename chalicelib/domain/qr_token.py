"""The invoice's signed token, printed as its QR code: the invoice kind of `signed_token`.

It names the invoice (`id`), the insurer, the total and the issue date, and nothing else (the
claims and their encoding are in `signed_token`'s table). Its `iat` is the second the invoice
was issued, which the invoice's id carries: the invoice service makes the ULID from the
instant of issue, so the token needs no clock and the same claims give the same token.

Every field is bounded (a total below 2^32 cents, a date from 1970 to 2149), so the longest
token that valid claims make is 202 characters and fits a QR code of version 8 at level M
(the contract allows 10); a typical one is 193 to 196.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from chalicelib.domain import signed_token
from chalicelib.domain.signed_token import Claim, Kind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

# The order is part of the token format: a token carries the insurer's index.
INSURERS: Final = ("CNS", "CMFEP", "CMFEC", "EMCFL", "RCAM")
# The invoice service catches the generic error under the name it has always used.
InvalidQrToken = signed_token.InvalidToken

_UINT16_MAX: Final = 0xFFFF
_UINT32_MAX: Final = 0xFFFFFFFF
_EPOCH: Final = date(1970, 1, 1)
_CLAIMS: Final = (Claim.INSURER, Claim.TOTAL, Claim.DATE)


@dataclass(frozen=True)
class QrClaims:
    """What the QR code asserts; validated here so that any instance can be encoded."""

    invoice_id: str
    insurer: str
    total_cents: int
    issued_on: date

    def __post_init__(self) -> None:
        try:
            signed_token.ulid_bytes(Kind.INVOICE, self.invoice_id)
        except ValueError as exc:
            raise ValueError(f"invoice_id: {exc}") from None
        if self.insurer not in INSURERS:
            raise ValueError(f"unknown insurer {self.insurer!r}")
        if not 0 <= self.total_cents <= _UINT32_MAX:
            raise ValueError("total_cents out of range for the QR token")
        if not 0 <= (self.issued_on - _EPOCH).days <= _UINT16_MAX:
            raise ValueError("issued_on out of range for the QR token")

    def encode(self, private_key: Ed25519PrivateKey) -> str:
        """The signed-document path signs every kind's claims through this (`encode`)."""
        return encode(self, private_key)


def encode(claims: QrClaims, private_key: Ed25519PrivateKey) -> str:
    """The QR text for these claims, signed with the active key."""
    return signed_token.sign(
        Kind.INVOICE,
        claims.invoice_id,
        {
            Claim.INSURER: INSURERS.index(claims.insurer),
            Claim.TOTAL: claims.total_cents,
            Claim.DATE: (claims.issued_on - _EPOCH).days,
        },
        private_key,
        issued_at=signed_token.ulid_seconds(Kind.INVOICE, claims.invoice_id),
    )


def decode(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> QrClaims:
    """The claims of an invoice token signed by one of `public_keys` (kid → key).

    Raises InvalidQrToken for anything else, a token of another kind included.
    """
    verified = signed_token.verify(Kind.INVOICE, token, public_keys)
    claims = verified.claims
    # Only a faulty signer could get past the signature with other claims; still not trusted.
    if claims.keys() != set(_CLAIMS) or claims[Claim.INSURER] >= len(INSURERS):
        raise InvalidQrToken()
    try:
        return QrClaims(
            verified.document_id,
            INSURERS[claims[Claim.INSURER]],
            claims[Claim.TOTAL],
            _EPOCH + timedelta(days=claims[Claim.DATE]),
        )
    except (ValueError, OverflowError):  # beyond what an invoice token may carry
        raise InvalidQrToken() from None
