"""Every signed DHN token (invoice, prescription, dispensing receipt; certificate, booklet next):
the envelope, the claim registry, signing and verification.

Text: `DHN1:` + Base45 (RFC 9285) of a COSE_Sign1 (RFC 9052, CBOR tag 18), like the EU Digital
COVID Certificate. The Base45 alphabet is the QR code's alphanumeric mode, so the code stays
small. Anyone holding the public keys (`GET /.well-known/jwks.json`) verifies a token offline
with any COSE library.

COSE_Sign1, in deterministic CBOR (RFC 8949, section 4.2):

- protected header: `{1 (alg): -8 (EdDSA), 4 (kid): the UTF-8 bytes of the JWK's kid}`;
  the key is Ed25519 and its `kid` is base64url of the first 4 bytes of SHA-256 of the raw
  public key (6 characters);
- unprotected header: empty;
- payload: a CWT claims set (RFC 8392), below;
- signature: 64 bytes of Ed25519 over the Sig_structure ("Signature1", protected, "", payload).

Claims. DHN's own claims take the negative keys from -1: IANA's CWT registry leaves -256 to
-1 unassigned (for future standards), and each of them takes one byte of CBOR where RFC 8392's
private-use range (below -65536) would take five: an invoice token would be 30 characters
longer (226 rather than 196), its QR code a version larger. One registry for every kind: a
key keeps its meaning across kinds, and a new kind takes the next free keys.

    key  claim    kinds    value
    1    iss      all      text "DHN"
    6    iat      all      unsigned integer: seconds since 1970-01-01T00:00:00Z
    -1   kind     all      unsigned integer: 1 invoice, 2 prescription, 3 receipt,
                           4 certificate of incapacity, 5 vaccination (a booklet entry)
    -2   id       all      16-byte string: the 128 bits of the ULID in the document's id
                           (`inv_<ULID>` for an invoice, `rx_<ULID>` for a prescription and
                           for the receipt of its dispensing; the kind gives the prefix)
    -3   insurer  invoice  unsigned integer: 0 CNS, 1 CMFEP, 2 CMFEC, 3 EMCFL, 4 RCAM
                  cert.
    -4   total    invoice  unsigned integer: the total in cents
    -5   date     invoice, unsigned integer: the issue date in Luxembourg, in days since
                  receipt, 1970-01-01 (a receipt's: the day the dispensing was closed;
                  cert.,   a vaccination's: the day it was recorded)
                  vacc.
    -6   access   prescr.  unsigned integer below 2^128: the random access code that lets a
                           pharmacy accept the prescription (CBOR bignum from 2^64 on)
    -7   pharmacy receipt  unsigned integer: the dispensing pharmacy's 6-digit code
    -8   round    receipt  unsigned integer: which dispensing of the prescription, 1 the first
    -9   start    cert.    unsigned integer: the first day of incapacity, in days since
                           1970-01-01
    -10  end      cert.    unsigned integer: the last day of incapacity, likewise

A token has no expiry (`exp`): a document stays verifiable for as long as the key that signed
it is published, and a key leaves the JWKS only when its documents may no longer be honoured.
A token carries no personal data (no name, matricule or medical content): a QR code is read by
whoever holds the paper.

Verification answers one error, `InvalidToken`, for every cause (malformed text, encoding other
than the one written here, unknown kid, bad signature, wrong issuer or kind): telling a forger
which check failed would only help the forger. It accepts exactly one text per token: Base45
with one encoding per byte string, CBOR compared with its deterministic re-encoding, and a
signature over every byte that is not the envelope itself.

`cwt`, `cbor2` and `cryptography` are imported inside the functions that need them, so
importing this module at cold start costs nothing; the types are for mypy only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cwt.cose_key_interface import COSEKeyInterface

PREFIX: Final = "DHN1:"
ISSUER: Final = "DHN"
# What a QR code of version 10 holds at level M in alphanumeric mode (API.md): no genuine
# token is longer, and the bound keeps any input from costing more than a comparison.
MAX_LENGTH: Final = 311


class Kind(IntEnum):
    """What a token is about: the value of its `kind` claim."""

    INVOICE = 1
    PRESCRIPTION = 2
    RECEIPT = 3
    CERTIFICATE = 4
    VACCINATION = 5


class Claim(IntEnum):
    """The private claims that only some kinds carry (see the table above)."""

    INSURER = -3
    TOTAL = -4
    DATE = -5
    ACCESS = -6
    PHARMACY = -7
    ROUND = -8
    START = -9
    END = -10


class InvalidToken(ValueError):
    """The token is not one we signed, whatever the reason."""

    def __init__(self) -> None:
        super().__init__("Invalid signed token")


@dataclass(frozen=True)
class Verified:
    """What a genuine token asserts."""

    document_id: str  # `inv_<ULID>`
    issued_at: int  # iat, seconds since the epoch
    claims: Mapping[Claim, int]


_ISS: Final = 1
_IAT: Final = 6
_KIND: Final = -1
_ID: Final = -2
_ENVELOPE_CLAIMS: Final = frozenset({_ISS, _IAT, _KIND, _ID})
_CLAIMS: Final = {int(claim): claim for claim in Claim}
_ALG: Final = 1
_KID: Final = 4
_EDDSA: Final = -8
_COSE_SIGN1_TAG: Final = 18
_SIGNATURE_SIZE: Final = 64
_ID_PREFIXES: Final = {
    Kind.INVOICE: "inv_",
    Kind.PRESCRIPTION: "rx_",
    Kind.RECEIPT: "rx_",
    Kind.CERTIFICATE: "cit_",
    Kind.VACCINATION: "vac_",
}
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE: Final = {c: i for i, c in enumerate(_CROCKFORD)}
_ULID_LENGTH: Final = 26
_BASE45: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE: Final = {c: i for i, c in enumerate(_BASE45)}


def sign(
    kind: Kind,
    document_id: str,
    claims: Mapping[Claim, int],
    private_key: Ed25519PrivateKey,
    issued_at: int,
) -> str:
    """The token of a document of `kind`, signed with `private_key` (the active key).

    ValueError where the id is not one of `kind`'s ids or a value is not an unsigned integer:
    the caller's bug, not a forgery.
    """
    import cbor2
    from cwt import COSE

    if not all(_is_uint(v) for v in (issued_at, *claims.values())):
        raise ValueError("claims and issued_at must be unsigned integers")
    payload = {
        _ISS: ISSUER,
        _IAT: issued_at,
        _KIND: int(kind),
        _ID: ulid_bytes(kind, document_id),
        **{int(claim): value for claim, value in claims.items()},
    }
    public_key = private_key.public_key()
    kid = key_id(public_key)
    message = COSE.new().encode_and_sign(
        cbor2.dumps(payload, canonical=True),
        _cose_key(public_key, kid, private_key),
        protected={_ALG: _EDDSA, _KID: kid.encode()},
        unprotected={},
    )
    assert isinstance(message, bytes)  # cwt returns bytes unless asked for a CBORTag
    return PREFIX + _b45encode(message)


def verify(kind: Kind, token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> Verified:
    """What a token of `kind` signed by one of `public_keys` (kid → key) asserts.

    Raises InvalidToken for anything else, with no cause attached.
    """
    verified = _open(kind, token, public_keys)
    if verified is None:
        raise InvalidToken()
    return verified


def key_id(public_key: Ed25519PublicKey) -> str:
    """The `kid` of a key: base64url of the first 4 bytes of SHA-256 of its raw bytes.

    Short, because every token carries it; 32 bits tell a handful of keys apart, and
    `signing_keys` refuses a configuration where two of them would share one.
    """
    return _b64url(hashlib.sha256(public_key.public_bytes_raw()).digest()[:4])


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


def ulid_bytes(kind: Kind, document_id: str) -> bytes:
    """The 16 bytes of the ULID in a `kind` id (`inv_<ULID>`); ValueError if it is not one.

    Only the canonical upper-case form is accepted, so that a verified token gives back
    exactly the id that was signed.
    """
    prefix = _ID_PREFIXES[kind]
    ulid = document_id[len(prefix) :]
    # 26 characters hold 130 bits and a ULID has 128: the first character is at most 7.
    if not (
        document_id.startswith(prefix)
        and len(ulid) == _ULID_LENGTH
        and set(ulid) <= _CROCKFORD_VALUE.keys()
        and ulid[0] <= "7"
    ):
        raise ValueError(f"the id must be {prefix} followed by a 26-character upper-case ULID")
    value = 0
    for char in ulid:
        value = value << 5 | _CROCKFORD_VALUE[char]
    return value.to_bytes(16, "big")


def ulid_seconds(kind: Kind, document_id: str) -> int:
    """The second a `kind` id was made: a ULID's first 48 bits are its time in milliseconds."""
    return int.from_bytes(ulid_bytes(kind, document_id)[:6], "big") // 1000


def _open(kind: Kind, token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> Verified | None:
    # The length check first keeps arbitrary input from costing more than a comparison.
    if not isinstance(token, str) or len(token) > MAX_LENGTH or not token.startswith(PREFIX):
        return None
    raw = _b45decode(token[len(PREFIX) :])
    if raw is None:
        return None
    parts = _cose_sign1(raw)
    if parts is None:
        return None
    kid, payload = parts
    public_key = public_keys.get(kid)
    if public_key is None or not _signed_by(raw, kid, public_key):
        return None
    return _claims(kind, payload)


def _cose_sign1(raw: bytes) -> tuple[str, bytes] | None:
    """The kid and the payload of `raw`, if it is a COSE_Sign1 exactly as `sign` writes one.

    The envelope is not signed: were it read leniently (another encoding of a length, an
    unprotected header, trailing bytes), one genuine token would have many accepted texts.
    """
    import cbor2

    try:
        message = cbor2.loads(raw)
        if cbor2.dumps(message, canonical=True) != raw:
            return None
        if not (isinstance(message, cbor2.CBORTag) and message.tag == _COSE_SIGN1_TAG):
            return None
        protected, unprotected, payload, signature = message.value
        header = cbor2.loads(protected)
        kid = header[_KID]
        if (
            header != {_ALG: _EDDSA, _KID: kid}
            or unprotected != {}
            or not isinstance(payload, bytes)
            or not isinstance(signature, bytes)
            or len(signature) != _SIGNATURE_SIZE
        ):
            return None
        return kid.decode(), payload
    # Whatever the parser trips on (bad CBOR, wrong types or shapes), the token is not ours.
    except Exception:
        return None


def _signed_by(raw: bytes, kid: str, public_key: Ed25519PublicKey) -> bool:
    from cwt import COSE, CWTError

    try:
        COSE.new(verify_kid=True).decode(raw, _cose_key(public_key, kid))
    except (CWTError, ValueError):
        return False
    return True


def _cose_key(
    public_key: Ed25519PublicKey, kid: str, private_key: Ed25519PrivateKey | None = None
) -> COSEKeyInterface:
    """The key as cwt takes it: a COSE_Key (RFC 9052, section 7) of type OKP, curve Ed25519."""
    from cwt import COSEKey

    params: dict[int, int | bytes] = {
        1: 1,
        -1: 6,
        2: kid.encode(),
        3: _EDDSA,
        -2: public_key.public_bytes_raw(),
    }
    if private_key is not None:
        params[-4] = private_key.private_bytes_raw()
    return COSEKey.new(params)


def _claims(kind: Kind, payload: bytes) -> Verified | None:
    """The claims of a payload that our key signed. They are checked all the same: a token of
    another kind, or from a faulty signer, must not pass for this one."""
    import cbor2

    try:
        claims = cbor2.loads(payload)
        document_id = claims[_ID]
        issued_at = claims[_IAT]
        private = {_CLAIMS[k]: v for k, v in claims.items() if k not in _ENVELOPE_CLAIMS}
        if (
            claims[_ISS] != ISSUER
            or not _is_uint(claims[_KIND])
            or claims[_KIND] != kind
            or not isinstance(document_id, bytes)
            or len(document_id) != 16
            or not all(_is_uint(v) for v in (issued_at, *private.values()))
        ):
            return None
    except Exception:  # not a map, a claim missing, an unknown claim: not a token of ours
        return None
    return Verified(_ID_PREFIXES[kind] + _ulid_text(document_id), issued_at, private)


def _is_uint(value: object) -> bool:
    """An unsigned integer as CBOR has them: not a bool, which Python counts as an int."""
    return type(value) is int and value >= 0


def _ulid_text(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    return "".join(_CROCKFORD[value >> shift & 31] for shift in range(125, -1, -5))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
