"""The envelope of every signed DHN token (chalicelib.domain.signed_token): COSE_Sign1 in
Base45, the claim registry, and a verification that accepts one text per token and nothing
else. Tokens are also sealed here by hand (cbor2 and cryptography, no cwt), so the format is
checked against RFC 9052 itself rather than against the library that writes it."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chalicelib.domain import signed_token
from chalicelib.domain.signed_token import Claim, InvalidToken, Kind

INVOICE_ID = "inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z"
ULID = bytes.fromhex("01934bf44c743dd381689b3711d0783f")  # the 128 bits of that id's ULID
CLAIMS = {Claim.INSURER: 0, Claim.TOTAL: 5770, Claim.DATE: 20777}
ISSUED_AT = 1_795_000_000


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))


@pytest.fixture
def token(key: Ed25519PrivateKey) -> str:
    return signed_token.sign(Kind.INVOICE, INVOICE_ID, CLAIMS, key, ISSUED_AT)


def keys_of(*private_keys: Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    return {signed_token.key_id(k.public_key()): k.public_key() for k in private_keys}


def kid(key: Ed25519PrivateKey) -> bytes:
    return signed_token.key_id(key.public_key()).encode()


def raw(token: str) -> bytes:
    decoded = signed_token._b45decode(token.removeprefix(signed_token.PREFIX))
    assert decoded is not None
    return decoded


def text(data: bytes) -> str:
    return signed_token.PREFIX + signed_token._b45encode(data)


def genuine_payload() -> dict[int, Any]:
    return {1: "DHN", 6: ISSUED_AT, -1: 1, -2: ULID, -3: 0, -4: 5770, -5: 20777}


def seal(
    payload: dict[int, Any],
    key: Ed25519PrivateKey,
    protected: dict[int, Any] | None = None,
    unprotected: dict[int, Any] | None = None,
    tag: int = 18,
) -> str:
    """A COSE_Sign1 made by hand, signed with `key` over RFC 9052's Sig_structure."""
    header = cbor2.dumps(protected if protected is not None else {1: -8, 4: kid(key)})
    body = cbor2.dumps(payload, canonical=True)
    signature = key.sign(cbor2.dumps(["Signature1", header, b"", body]))
    return text(cbor2.dumps(cbor2.CBORTag(tag, [header, unprotected or {}, body, signature])))


def verify(token: str, *keys: Ed25519PrivateKey) -> signed_token.Verified:
    return signed_token.verify(Kind.INVOICE, token, keys_of(*keys))


# --- the format ------------------------------------------------------------------------------


def test_sign_writes_exactly_the_documented_cose_sign1(token: str, key: Ed25519PrivateKey) -> None:
    assert token.startswith("DHN1:")
    assert token == seal(genuine_payload(), key)
    message = cbor2.loads(raw(token))
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: kid(key)}
    assert unprotected == {}
    assert cbor2.loads(payload) == genuine_payload()
    assert len(signature) == 64
    # Deterministic CBOR: the registered claims first, then the private ones by key.
    assert list(cbor2.loads(payload)) == [1, 6, -1, -2, -3, -4, -5]


def test_the_claim_registry_takes_one_byte_per_key_and_none_twice() -> None:
    keys = [signed_token._KIND, signed_token._ID, *Claim]
    assert keys == list(range(-1, -len(keys) - 1, -1))
    assert all(len(cbor2.dumps(key)) == 1 for key in keys)  # -24 to -1


def test_verify_gives_back_what_was_signed(token: str, key: Ed25519PrivateKey) -> None:
    assert verify(token, key) == signed_token.Verified(INVOICE_ID, ISSUED_AT, CLAIMS)


def test_the_same_claims_and_key_give_the_same_token(token: str, key: Ed25519PrivateKey) -> None:
    assert signed_token.sign(Kind.INVOICE, INVOICE_ID, CLAIMS, key, ISSUED_AT) == token


@pytest.mark.parametrize(
    ("claims", "issued_at"),
    [({Claim.TOTAL: -1}, 0), ({Claim.TOTAL: True}, 0), ({}, -1), ({Claim.DATE: 1.5}, 0)],
)
def test_sign_refuses_what_is_not_an_unsigned_integer(
    claims: dict[Claim, Any], issued_at: int, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(ValueError, match="unsigned"):
        signed_token.sign(Kind.INVOICE, INVOICE_ID, claims, key, issued_at)


@pytest.mark.parametrize(
    "document_id",
    [
        "inv_01jd5z8k3m7q9r2t4v6w8x0y1z",  # only the canonical upper case
        "inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1",
        "clm_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z",
        "inv_81JD5Z8K3M7Q9R2T4V6W8X0Y1Z",  # above 128 bits
        "inv_01JD5Z8K3M7Q9R2T4V6W8X0YIU",  # I and U are not Crockford
    ],
)
def test_ids_other_than_the_kinds_ulids_are_refused(document_id: str, key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError, match="inv_"):
        signed_token.ulid_bytes(Kind.INVOICE, document_id)
    with pytest.raises(ValueError, match="inv_"):
        signed_token.sign(Kind.INVOICE, document_id, CLAIMS, key, ISSUED_AT)


def test_ulid_bytes_and_seconds() -> None:
    assert signed_token.ulid_bytes(Kind.INVOICE, INVOICE_ID) == ULID
    assert signed_token.ulid_bytes(Kind.INVOICE, "inv_7ZZZZZZZZZZZZZZZZZZZZZZZZZ") == b"\xff" * 16
    # 01JD5Z8K3M: 1732146121844 ms since the epoch (2024-11-20T23:42:01.844Z).
    assert signed_token.ulid_seconds(Kind.INVOICE, INVOICE_ID) == 1_732_146_121


# --- what verification refuses ---------------------------------------------------------------


def test_every_flipped_bit_of_the_token_bytes_is_rejected(token: str, key: Ed25519PrivateKey) -> None:
    data = raw(token)
    for i in range(len(data)):
        for bit in range(8):
            forged = bytearray(data)
            forged[i] ^= 1 << bit
            with pytest.raises(InvalidToken):
                verify(text(bytes(forged)), key)


def test_every_flipped_bit_of_the_token_text_is_rejected(token: str, key: Ed25519PrivateKey) -> None:
    encoded = token.encode("ascii")
    for i in range(len(encoded)):
        for bit in range(8):
            forged = bytearray(encoded)
            forged[i] ^= 1 << bit
            with pytest.raises(InvalidToken):
                verify(forged.decode("latin-1"), key)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda _: "",
        lambda t: t[:-1],
        lambda t: t[:-3],
        lambda t: t + "0",
        lambda t: t + "000",
        lambda t: t + "\n",
        lambda t: " " + t,
        lambda t: t.lower(),
        lambda t: "DHN2:" + t[5:],
        lambda t: "dhn1:" + t[5:],
        lambda t: "XXXX" + t[4:],
        lambda t: t[:5] + ":::" + t[8:],  # 3 characters worth more than 0xFFFF
        lambda t: t[:-3] + "GGW",  # 65536: one more than 3 characters may carry
        lambda t: t[:-3] + "000",  # valid Base45, another signature
        lambda t: t + "0" * 400,  # longer than any QR code of version 10 holds
    ],
)
def test_malformed_tokens_are_rejected(
    mangle: Callable[[str], str], token: str, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidToken):
        verify(mangle(token), key)


def test_non_string_is_rejected(key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidToken):
        verify(b"DHN1:" * 30, key)  # type: ignore[arg-type]


def test_unknown_kid_is_rejected(token: str, other_key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidToken):
        verify(token, other_key)
    with pytest.raises(InvalidToken):
        verify(token)


def test_wrong_key_under_the_right_kid_is_rejected(
    token: str, key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    swapped = {signed_token.key_id(key.public_key()): other_key.public_key()}
    with pytest.raises(InvalidToken):
        signed_token.verify(Kind.INVOICE, token, swapped)


def test_a_token_signed_with_another_key_under_a_known_kid_is_rejected(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    # A forger who copies our kid into his own token still needs our private key.
    forged = seal(genuine_payload(), other_key, protected={1: -8, 4: kid(key)})
    with pytest.raises(InvalidToken):
        verify(forged, key)


def _without(claim: int) -> dict[int, Any]:
    payload = genuine_payload()
    del payload[claim]
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        {**genuine_payload(), 1: "XYZ"},  # another issuer
        {**genuine_payload(), -1: 2},  # another kind
        {**genuine_payload(), -1: True},
        {**genuine_payload(), -2: ULID[:15]},
        {**genuine_payload(), -2: INVOICE_ID},
        {**genuine_payload(), -99: 1},  # a claim the registry does not know
        {**genuine_payload(), 4: ISSUED_AT + 3600},  # exp: not a claim we sign
        {**genuine_payload(), -4: -5770},
        {**genuine_payload(), -4: "5770"},
        {**genuine_payload(), 6: -1},
        _without(1),
        _without(6),
        _without(-1),
        _without(-2),
        [1, 2, 3],
    ],
)
def test_claims_other_than_ours_are_rejected_even_under_our_signature(
    payload: Any, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidToken):
        verify(seal(payload, key), key)


def test_headers_other_than_ours_are_rejected_even_under_our_signature(key: Ed25519PrivateKey) -> None:
    payload = genuine_payload()
    headers: list[tuple[dict[int, Any], dict[int, Any]]] = [
        ({1: -8}, {4: kid(key)}),  # the kid where the signature does not cover it
        ({1: -8, 4: kid(key)}, {5: b"nonce"}),  # anything unsigned
        ({1: -8, 4: kid(key), 3: "application/cwt"}, {}),
        ({1: -7, 4: kid(key)}, {}),  # ES256 named, Ed25519 used
        ({4: kid(key)}, {}),
        ({1: -8, 4: kid(key).decode()}, {}),
        ({1: -8, 4: b"\xff"}, {}),
    ]
    for protected, unprotected in headers:
        with pytest.raises(InvalidToken):
            verify(seal(payload, key, protected, unprotected), key)
    assert verify(seal(payload, key), key).document_id == INVOICE_ID  # the control


@pytest.mark.parametrize("tag", [98, 61, 17])
def test_other_cose_structures_are_rejected(tag: int, key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidToken):
        verify(seal(genuine_payload(), key, tag=tag), key)


def test_other_encodings_of_a_genuine_token_are_rejected(token: str, key: Ed25519PrivateKey) -> None:
    data = raw(token)
    message = cbor2.loads(data)
    signature_head = bytes([0x58, 0x40])
    assert data.endswith(signature_head + message.value[3])
    for other in [
        data + b"\x00",  # trailing bytes
        data[1:],  # untagged
        bytes([0xD8, 0x3D]) + data,  # wrapped in the CWT tag
        data[:-66] + bytes([0x59, 0x00, 0x40]) + data[-64:],  # a length in more bytes than needed
        data[:1] + bytes([0x9F]) + data[2:] + b"\xff",  # an array of indefinite length
    ]:
        assert other != data
        with pytest.raises(InvalidToken):
            verify(text(other), key)


def test_the_error_says_nothing_about_the_cause(token: str, key: Ed25519PrivateKey) -> None:
    causes = [token[:-1], "DHN2:" + token[5:], token[:-3] + "GGW", seal({**genuine_payload(), 1: "X"}, key)]
    messages = set()
    for forged in causes:
        with pytest.raises(InvalidToken) as caught:
            verify(forged, key)
        messages.add(str(caught.value))
        assert caught.value.__cause__ is None
    with pytest.raises(InvalidToken) as caught:
        verify(token)
    messages.add(str(caught.value))
    assert messages == {"Invalid signed token"}
    assert issubclass(InvalidToken, ValueError)


# --- Base45, key ids and JWKs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoded"),
    [  # RFC 9285, section 4.3 and 4.4
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_rfc_9285(data: bytes, encoded: str) -> None:
    assert signed_token._b45encode(data) == encoded
    assert signed_token._b45decode(encoded) == data


@pytest.mark.parametrize("bad", ["GGW", "A", "ABCD", "aBC", "AB=", "0X"])
def test_base45_rejects_what_rfc_9285_rejects(bad: str) -> None:
    # GGW = 65536, 0X = 1485 > 255: both above what their characters may carry.
    assert signed_token._b45decode(bad) is None


def test_key_id_and_jwk(key: Ed25519PrivateKey) -> None:
    public = key.public_key()
    key_id = signed_token.key_id(public)
    digest = hashlib.sha256(public.public_bytes_raw()).digest()
    assert key_id == base64.urlsafe_b64encode(digest[:4]).decode().rstrip("=")
    assert len(key_id) == 6
    assert signed_token.jwk(public) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(public.public_bytes_raw()).decode().rstrip("="),
        "kid": key_id,
        "use": "sig",
        "alg": "EdDSA",
    }


def test_the_cose_kid_is_the_utf8_of_the_jwk_kid(token: str, key: Ed25519PrivateKey) -> None:
    protected = cbor2.loads(cbor2.loads(raw(token)).value[0])
    assert protected[4] == signed_token.jwk(key.public_key())["kid"].encode("utf-8")
