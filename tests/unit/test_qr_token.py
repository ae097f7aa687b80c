"""The signed QR token (chalicelib.domain.qr_token) and its key material (chalicelib.core.signing_keys)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from datetime import date

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from qrcode.constants import ERROR_CORRECT_M

from chalicelib.core import signing_keys
from chalicelib.domain import qr_token
from chalicelib.domain.qr_token import InvalidQrToken, QrClaims

QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
CLAIMS = QrClaims(
    invoice_id="inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z",
    insurer="CNS",
    total_cents=5770,
    issued_on=date(2026, 11, 20),
)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))


@pytest.fixture
def token(key: Ed25519PrivateKey) -> str:
    return qr_token.encode(CLAIMS, key)


def keys_of(*private_keys: Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    return {qr_token.key_id(k.public_key()): k.public_key() for k in private_keys}


def raw(token: str) -> bytes:
    decoded = qr_token._b45decode(token[len(qr_token.PREFIX) :])
    assert decoded is not None
    return decoded


def text(data: bytes) -> str:
    return qr_token.PREFIX + qr_token._b45encode(data)


@pytest.mark.parametrize(
    "claims",
    [
        CLAIMS,
        QrClaims("inv_00000000000000000000000000", "CMFEP", 0, date(1970, 1, 1)),
        QrClaims("inv_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "RCAM", 0xFFFFFFFF, date(2149, 6, 6)),
        QrClaims("inv_01ARZ3NDEKTSV4RRFFQ69G5FAV", "EMCFL", 123456, date(2024, 2, 29)),
        QrClaims("inv_01HZZZZZZZZZZZZZZZZZZZZZZZ", "CMFEC", 1, date(2027, 12, 31)),
    ],
)
def test_round_trip(claims: QrClaims, key: Ed25519PrivateKey) -> None:
    token = qr_token.encode(claims, key)
    assert qr_token.decode(token, keys_of(key)) == claims


def test_token_is_short_alphanumeric_and_fits_qr_version_10_at_m(token: str) -> None:
    assert token.startswith("DHN1:")
    assert len(token) == qr_token.TOKEN_LENGTH == 149
    assert set(token) <= QR_ALPHANUMERIC
    # A scanner that trims whitespace must not change the token.
    assert token == token.strip()
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    code.add_data(token)
    assert code.best_fit() <= 10


def test_token_holds_only_the_known_fields(token: str, key: Ed25519PrivateKey) -> None:
    # 32 bytes of version, key id, invoice id, insurer, total and date, then the signature:
    # no room for a name, a matricule or anything medical.
    assert len(raw(token)) == 1 + 8 + 16 + 1 + 4 + 2 + 64
    assert [f.name for f in dataclasses.fields(QrClaims)] == [
        "invoice_id",
        "insurer",
        "total_cents",
        "issued_on",
    ]
    data = raw(token)
    assert data[0] == 1
    assert data[1:9] == hashlib.sha256(key.public_key().public_bytes_raw()).digest()[:8]
    assert data[26:30] == (5770).to_bytes(4, "big")


def test_every_flipped_bit_of_the_token_bytes_is_rejected(token: str, key: Ed25519PrivateKey) -> None:
    keys = keys_of(key)
    data = raw(token)
    for i in range(len(data)):
        for bit in range(8):
            forged = bytearray(data)
            forged[i] ^= 1 << bit
            with pytest.raises(InvalidQrToken):
                qr_token.decode(text(bytes(forged)), keys)


def test_every_flipped_bit_of_the_token_text_is_rejected(token: str, key: Ed25519PrivateKey) -> None:
    keys = keys_of(key)
    encoded = token.encode("ascii")
    for i in range(len(encoded)):
        for bit in range(8):
            forged = bytearray(encoded)
            forged[i] ^= 1 << bit
            with pytest.raises(InvalidQrToken):
                qr_token.decode(forged.decode("latin-1"), keys)


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
    ],
)
def test_malformed_tokens_are_rejected(
    mangle: Callable[[str], str], token: str, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidQrToken):
        qr_token.decode(mangle(token), keys_of(key))


def test_non_string_is_rejected(key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidQrToken):
        qr_token.decode(b"DHN1:" * 30, keys_of(key))  # type: ignore[arg-type]


def test_wrong_key_under_the_right_kid_is_rejected(
    token: str, key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    swapped = {qr_token.key_id(key.public_key()): other_key.public_key()}
    with pytest.raises(InvalidQrToken):
        qr_token.decode(token, swapped)


def test_unknown_kid_is_rejected(token: str, other_key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidQrToken):
        qr_token.decode(token, keys_of(other_key))
    with pytest.raises(InvalidQrToken):
        qr_token.decode(token, {})


def test_a_token_signed_with_another_key_under_a_known_kid_is_rejected(
    key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    # A forger who copies our kid into his own token still needs our private key.
    forged = raw(qr_token.encode(CLAIMS, other_key))
    payload = forged[:1] + raw(qr_token.encode(CLAIMS, key))[1:9] + forged[9:32]
    with pytest.raises(InvalidQrToken):
        qr_token.decode(text(payload + other_key.sign(payload)), keys_of(key))


def test_the_error_says_nothing_about_the_cause(token: str, key: Ed25519PrivateKey) -> None:
    causes = [token[:-1], "DHN2:" + token[5:], token[:-3] + "GGW"]
    messages = set()
    for forged in causes:
        with pytest.raises(InvalidQrToken) as caught:
            qr_token.decode(forged, keys_of(key))
        messages.add(str(caught.value))
        assert caught.value.__cause__ is None
    with pytest.raises(InvalidQrToken) as caught:
        qr_token.decode(token, {})
    messages.add(str(caught.value))
    assert messages == {"Invalid QR token"}
    assert issubclass(InvalidQrToken, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("invoice_id", "inv_01jd5z8k3m7q9r2t4v6w8x0y1z"),  # only the canonical upper case
        ("invoice_id", "inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1"),
        ("invoice_id", "clm_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z"),
        ("invoice_id", "inv_81JD5Z8K3M7Q9R2T4V6W8X0Y1Z"),  # above 128 bits
        ("invoice_id", "inv_01JD5Z8K3M7Q9R2T4V6W8X0YIU"),  # I and U are not Crockford
        ("insurer", "AXA"),
        ("total_cents", -1),
        ("total_cents", 2**32),
        ("issued_on", date(1969, 12, 31)),
        ("issued_on", date(2149, 6, 7)),
    ],
)
def test_claims_that_cannot_be_encoded_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field) as caught:
        dataclasses.replace(CLAIMS, **{field: value})  # type: ignore[arg-type]
    assert not isinstance(caught.value, InvalidQrToken)


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
    assert qr_token._b45encode(data) == encoded
    assert qr_token._b45decode(encoded) == data


@pytest.mark.parametrize("bad", ["GGW", "A", "ABCD", "aBC", "AB=", "0X"])
def test_base45_rejects_what_rfc_9285_rejects(bad: str) -> None:
    # GGW = 65536, 0X = 1485 > 255: both above what their characters may carry.
    assert qr_token._b45decode(bad) is None


def test_key_id_and_jwk(key: Ed25519PrivateKey) -> None:
    public = key.public_key()
    kid = qr_token.key_id(public)
    digest = hashlib.sha256(public.public_bytes_raw()).digest()
    assert kid == base64.urlsafe_b64encode(digest[:8]).decode().rstrip("=")
    assert len(kid) == 11
    jwk = qr_token.jwk(public)
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(public.public_bytes_raw()).decode().rstrip("="),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def test_a_token_verifies_with_nothing_but_the_jwk(token: str, key: Ed25519PrivateKey) -> None:
    """What an insurer does offline: rebuild the key from the published JWK."""
    jwk = qr_token.jwk(key.public_key())
    x = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert qr_token.decode(token, {jwk["kid"]: Ed25519PublicKey.from_public_bytes(x)}) == CLAIMS


# --- chalicelib.core.signing_keys: the key material from configuration ---------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv(signing_keys.SIGNING_KEY_ENV, raising=False)
    monkeypatch.delenv(signing_keys.RETIRED_KEYS_ENV, raising=False)
    signing_keys.reset()
    yield monkeypatch
    signing_keys.reset()


def test_missing_signing_key_is_a_clear_error(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="DHN_QR_SIGNING_KEY"):
        signing_keys.signing_key()
    with pytest.raises(RuntimeError, match="DHN_QR_SIGNING_KEY"):
        signing_keys.jwks()


@pytest.mark.parametrize(
    "seed",
    [
        "not base64!",
        base64.urlsafe_b64encode(bytes(31)).decode(),
        base64.urlsafe_b64encode(bytes(33)).decode(),
        base64.b64encode(b"\xfb" * 32).decode(),  # standard base64 with + and /, not base64url
    ],
)
def test_malformed_signing_key_is_an_error_that_does_not_echo_it(env: pytest.MonkeyPatch, seed: str) -> None:
    env.setenv(signing_keys.SIGNING_KEY_ENV, seed)
    with pytest.raises(RuntimeError, match="DHN_QR_SIGNING_KEY") as caught:
        signing_keys.signing_key()
    assert seed not in str(caught.value)


def test_generated_seed_signs_and_verifies(env: pytest.MonkeyPatch) -> None:
    seed = signing_keys.generate_seed()
    assert len(seed) == 43 and "=" not in seed
    assert seed != signing_keys.generate_seed()
    env.setenv(signing_keys.SIGNING_KEY_ENV, seed)
    token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    assert qr_token.decode(token, signing_keys.verification_keys()) == CLAIMS
    assert signing_keys.signing_key() is signing_keys.signing_key()  # cached


def test_rotation_keeps_old_tokens_verifiable(env: pytest.MonkeyPatch) -> None:
    old_seed, new_seed = signing_keys.generate_seed(), signing_keys.generate_seed()
    env.setenv(signing_keys.SIGNING_KEY_ENV, old_seed)
    old_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    old_public = signing_keys.signing_key().public_key().public_bytes_raw()

    env.setenv(signing_keys.SIGNING_KEY_ENV, new_seed)
    env.setenv(
        signing_keys.RETIRED_KEYS_ENV,
        " " + base64.urlsafe_b64encode(old_public).decode().rstrip("=") + ", ,",
    )
    # Still cached until reset: the environment is read once per container.
    assert qr_token.decode(old_token, signing_keys.verification_keys()) == CLAIMS
    signing_keys.reset()
    new_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    assert new_token != old_token
    keys = signing_keys.verification_keys()
    assert len(keys) == 2
    assert qr_token.decode(old_token, keys) == CLAIMS
    assert qr_token.decode(new_token, keys) == CLAIMS
    jwks = signing_keys.jwks()
    assert [jwk["kid"] for jwk in jwks["keys"]] == list(keys)
    assert jwks["keys"][0]["kid"] == qr_token.key_id(signing_keys.signing_key().public_key())

    env.delenv(signing_keys.RETIRED_KEYS_ENV)
    signing_keys.reset()
    with pytest.raises(InvalidQrToken):
        qr_token.decode(old_token, signing_keys.verification_keys())


def test_malformed_retired_key_names_its_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv(signing_keys.SIGNING_KEY_ENV, signing_keys.generate_seed())
    env.setenv(signing_keys.RETIRED_KEYS_ENV, "tooshort")
    with pytest.raises(RuntimeError, match="DHN_QR_RETIRED_KEYS"):
        signing_keys.verification_keys()
