"""The certificate's signed token, printed as the QR code of its sheets: the certificate kind
of `signed_token`.

It names the certificate (`id`), its insurer, its issue date and the days of incapacity, so
an employer or an insurer holding the paper checks offline that the dates were not altered.
It never carries the diagnosis, the patient or the practice: a QR code is read by whoever
holds the sheet. Its `iat` is the second of issue, which the certificate's id carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from chalicelib.domain import signed_token
from chalicelib.domain.qr_token import INSURERS
from chalicelib.domain.signed_token import Claim, Kind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

_EPOCH: Final = date(1970, 1, 1)
_CLAIMS: Final = frozenset({Claim.INSURER, Claim.DATE, Claim.START, Claim.END})


@dataclass(frozen=True)
class CertificateClaims:
    certificate_id: str
    insurer: str
    issued_on: date
    start: date
    end: date

    def __post_init__(self) -> None:
        signed_token.ulid_bytes(Kind.CERTIFICATE, self.certificate_id)
        if self.insurer not in INSURERS:
            raise ValueError(f"unknown insurer {self.insurer!r}")
        if min(self.issued_on, self.start, self.end) < _EPOCH:
            raise ValueError("dates before 1970 do not fit the token")

    def sign(self, private_key: Ed25519PrivateKey) -> str:
        return signed_token.sign(
            Kind.CERTIFICATE,
            self.certificate_id,
            {
                Claim.INSURER: INSURERS.index(self.insurer),
                Claim.DATE: _days(self.issued_on),
                Claim.START: _days(self.start),
                Claim.END: _days(self.end),
            },
            private_key,
            issued_at=signed_token.ulid_seconds(Kind.CERTIFICATE, self.certificate_id),
        )


def _days(day: date) -> int:
    return (day - _EPOCH).days


def decode(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> CertificateClaims:
    """The claims of a certificate token signed by one of `public_keys`; InvalidToken for
    anything else, an invoice's token included."""
    verified = signed_token.verify(Kind.CERTIFICATE, token, public_keys)
    claims = verified.claims
    if claims.keys() != _CLAIMS or claims[Claim.INSURER] >= len(INSURERS):
        raise signed_token.InvalidToken()
    try:
        return CertificateClaims(
            verified.document_id,
            INSURERS[claims[Claim.INSURER]],
            _EPOCH + timedelta(days=claims[Claim.DATE]),
            _EPOCH + timedelta(days=claims[Claim.START]),
            _EPOCH + timedelta(days=claims[Claim.END]),
        )
    except (ValueError, OverflowError):
        raise signed_token.InvalidToken() from None
