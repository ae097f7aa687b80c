"""The signed token printed as the invoice's QR code: format, signing and verification.

Anyone holding the public keys (`GET /.well-known/jwks.json`) can verify a token offline.
The token names the invoice, the insurer, the total and the issue date, and nothing else:
no patient name, no matricule, no medical content, because a QR code is read by whoever
holds the paper.

Bytes (32 signed, then the 64-byte Ed25519 signature over those 32):

    offset size  field
    0      1     format version (1)
    1      8     key id: first 8 bytes of SHA-256 of the raw public key
    9      16    invoice id: the 128 bits of the ULID in `inv_<ULID>`
    25     1     insurer: index into INSURERS
    26     4     total in cents, unsigned big-endian
    30     2     issue date, days since 1970-01-01, unsigned big-endian (up to 2149-06-06)

Text: `DHN1:` + Base45 (RFC 9285) of the 96 bytes, 149 characters, all in the QR
alphanumeric charset, so the QR code stays at version 6 at error correction level M.

`cryptography` is imported inside the functions that need it, so importing this module
(as the invoice service does at cold start) costs nothing; the types are for mypy only.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

INSURERS: Final = ("CNS", "CMFEP", "CMFEC", "EMCFL", "RCAM")
PREFIX: Final = "DHN1:"
VERSION: Final = 1

_PAYLOAD = struct.Struct(">B8s16sBIH")
_SIGNATURE_SIZE: Final = 64
RAW_SIZE: Final = _PAYLOAD.size + _SIGNATURE_SIZE
# Base45 turns every 2 bytes into 3 characters; RAW_SIZE is even.
TOKEN_LENGTH: Final = len(PREFIX) + RAW_SIZE // 2 * 3

_UINT16_MAX: Final = 0xFFFF
_UINT32_MAX: Final = 0xFFFFFFFF
_EPOCH: Final = date(1970, 1, 1)
_INVOICE_PREFIX: Final = "inv_"
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE: Final = {c: i for i, c in enumerate(_CROCKFORD)}
_ULID_LENGTH: Final = 26
_BASE45: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE: Final = {c: i for i, c in enumerate(_BASE45)}


class InvalidQrToken(ValueError):
    """The token is not one we signed, whatever the reason.

    One message for every cause (bad prefix, bad encoding, unknown key, bad signature):
    telling a forger which check failed would only help the forger.
    """

    def __init__(self) -> None:
        super().__init__("Invalid QR token")


@dataclass(frozen=True)
class QrClaims:
    """What the QR code asserts; validated here so that any instance can be encoded."""

    invoice_id: str
    insurer: str
    total_cents: int
    issued_on: date

    def __post_init__(self) -> None:
        _ulid_bytes(self.invoice_id)  # raises ValueError on a malformed id
        if self.insurer not in INSURERS:
            raise ValueError(f"unknown insurer {self.insurer!r}")
        if not 0 <= self.total_cents <= _UINT32_MAX:
            raise ValueError("total_cents out of range for the QR token")
        if not 0 <= (self.issued_on - _EPOCH).days <= _UINT16_MAX:
            raise ValueError("issued_on out of range for the QR token")


def encode(claims: QrClaims, private_key: Ed25519PrivateKey) -> str:
    """The QR text for these claims, signed with the active key."""
    payload = _PAYLOAD.pack(
        VERSION,
        _key_id_bytes(private_key.public_key()),
        _ulid_bytes(claims.invoice_id),
        INSURERS.index(claims.insurer),
        claims.total_cents,
        (claims.issued_on - _EPOCH).days,
    )
    return PREFIX + _b45encode(payload + private_key.sign(payload))


def decode(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> QrClaims:
    """The claims of a token signed by one of `public_keys` (key id → key).

    Raises InvalidQrToken for anything else. The check is exact: Base45 as decoded here
    has one encoding per byte string and the signature covers every byte, so a token
    differing from a genuine one by a single character never verifies.
    """
    from cryptography.exceptions import InvalidSignature

    # The length check first keeps arbitrary input from costing more than a comparison.
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH or not token.startswith(PREFIX):
        raise InvalidQrToken()
    raw = _b45decode(token[len(PREFIX) :])
    if raw is None or len(raw) != RAW_SIZE:
        raise InvalidQrToken()
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    version, kid, ulid, insurer, total_cents, days = _PAYLOAD.unpack(payload)
    public_key = public_keys.get(_b64url(kid))
    if version != VERSION or public_key is None:
        raise InvalidQrToken()
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        raise InvalidQrToken() from None
    if insurer >= len(INSURERS):  # only a buggy signer could get here; still not trusted
        raise InvalidQrToken()
    return QrClaims(
        invoice_id=_INVOICE_PREFIX + _ulid_text(ulid),
        insurer=INSURERS[insurer],
        total_cents=total_cents,
        issued_on=date.fromordinal(_EPOCH.toordinal() + days),
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """The `kid` of a key in the JWKS: base64url of the 8 bytes the token carries."""
    return _b64url(_key_id_bytes(public_key))


def jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as an RFC 8037 OKP JSON Web Key."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(public_key.public_bytes_raw()),
        "kid": key_id(public_key),
        "use": "sig",
        "alg": "EdDSA",
    }


def _key_id_bytes(public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(public_key.public_bytes_raw()).digest()[:8]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _ulid_bytes(invoice_id: str) -> bytes:
    """The 16 bytes of `inv_<ULID>`; only the canonical upper-case form is accepted,
    so that decode gives back exactly the id that was encoded."""
    ulid = invoice_id[len(_INVOICE_PREFIX) :]
    if not invoice_id.startswith(_INVOICE_PREFIX) or len(ulid) != _ULID_LENGTH:
        raise ValueError("invoice_id must be inv_ followed by a 26-character ULID")
    value = 0
    for char in ulid:
        digit = _CROCKFORD_VALUE.get(char)
        if digit is None:
            raise ValueError("invoice_id must be inv_ followed by a 26-character ULID")
        value = value << 5 | digit
    if value >> 128:  # 26 characters hold 130 bits; a ULID is 128 (first character ≤ 7)
        raise ValueError("invoice_id ULID out of range")
    return value.to_bytes(16, "big")


def _ulid_text(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    return "".join(_CROCKFORD[value >> shift & 31] for shift in range(125, -1, -5))


# Base45 by hand rather than the `base45` package: that one is untyped (mypy --strict),
# unmaintained since 2022 and lenient (it strips trailing newlines), while a verifier wants
# exactly one accepted text per byte string. RFC 9285 is these twenty lines.
def _b45encode(data: bytes) -> str:
    chars: list[str] = []
    for i in range(0, len(data) - 1, 2):
        rest, c = divmod(data[i] << 8 | data[i + 1], 45)
        e, d = divmod(rest, 45)
        chars += (_BASE45[c], _BASE45[d], _BASE45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        chars += (_BASE45[c], _BASE45[d])
    return "".join(chars)


def _b45decode(text: str) -> bytes | None:
    """The bytes of a Base45 text, or None if it is not canonical RFC 9285 Base45."""
    if len(text) % 3 == 1:
        return None
    values = [_BASE45_VALUE.get(char, -1) for char in text]
    if -1 in values:
        return None
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(group))
        size = len(group) - 1  # three characters carry two bytes, two carry one
        if n >> 8 * size:
            return None
        out += n.to_bytes(size, "big")
    return bytes(out)
