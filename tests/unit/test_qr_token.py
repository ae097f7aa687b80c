"""The invoice's signed token (chalicelib.domain.qr_token) and the key material of every signed
token (chalicelib.core.signing_keys). The envelope itself is tested in test_signed_token."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import date

import cbor2
import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from qrcode.constants import ERROR_CORRECT_M

from chalicelib.core import signing_keys
from chalicelib.domain import qr_token, signed_token
from chalicelib.domain.qr_token import InvalidQrToken, QrClaims
from tests.unit.test_signed_token import ULID, keys_of, seal

QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
CLAIMS = QrClaims(
    invoice_id="inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z",
    insurer="CNS",
    total_cents=5770,
    issued_on=date(2026, 11, 20),
)
LONGEST = QrClaims("inv_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "RCAM", 0xFFFFFFFF, date(2149, 6, 6))


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))


@pytest.fixture
def token(key: Ed25519PrivateKey) -> str:
    return qr_token.encode(CLAIMS, key)


def payload(token: str) -> dict[int, object]:
    raw = signed_token._b45decode(token.removeprefix(signed_token.PREFIX))
    assert raw is not None
    claims = cbor2.loads(cbor2.loads(raw).value[2])
    assert isinstance(claims, dict)
    return claims


def qr_version(text: str) -> int:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    code.add_data(text)
    return int(code.best_fit())


@pytest.mark.parametrize(
    "claims",
    [
        CLAIMS,
        QrClaims("inv_00000000000000000000000000", "CMFEP", 0, date(1970, 1, 1)),
        LONGEST,
        QrClaims("inv_01ARZ3NDEKTSV4RRFFQ69G5FAV", "EMCFL", 123456, date(2024, 2, 29)),
        QrClaims("inv_01HZZZZZZZZZZZZZZZZZZZZZZZ", "CMFEC", 1, date(2027, 12, 31)),
    ],
)
def test_round_trip(claims: QrClaims, key: Ed25519PrivateKey) -> None:
    token = qr_token.encode(claims, key)
    assert qr_token.decode(token, keys_of(key)) == claims


def test_token_is_short_alphanumeric_and_fits_qr_version_10_at_m(token: str, key: Ed25519PrivateKey) -> None:
    assert token.startswith("DHN1:")
    assert len(token) == 193
    assert set(token) <= QR_ALPHANUMERIC
    # A scanner that trims whitespace must not change the token.
    assert token == token.strip()
    assert qr_version(token) == 8
    # The largest values every claim may take still fit the contract's version 10.
    longest = qr_token.encode(LONGEST, key)
    assert len(longest) == 202
    assert qr_version(longest) <= 10


def test_token_holds_only_the_known_fields(token: str) -> None:
    # The invoice's id, insurer, total and date, with the issuer, the time and the kind: no
    # room for a name, a matricule or anything medical.
    assert payload(token) == {
        1: "DHN",
        6: 1_732_146_121,  # iat: the second the invoice's ULID was made
        -1: 1,  # kind: invoice
        -2: ULID,
        -3: 0,  # CNS
        -4: 5770,
        -5: 20777,  # 2026-11-20
    }
    assert [f.name for f in dataclasses.fields(QrClaims)] == [
        "invoice_id",
        "insurer",
        "total_cents",
        "issued_on",
    ]


def test_every_insurer_has_the_index_the_format_documents(key: Ed25519PrivateKey) -> None:
    for index, insurer in enumerate(("CNS", "CMFEP", "CMFEC", "EMCFL", "RCAM")):
        token = qr_token.encode(dataclasses.replace(CLAIMS, insurer=insurer), key)
        assert payload(token)[-3] == index
    assert qr_token.INSURERS == ("CNS", "CMFEP", "CMFEC", "EMCFL", "RCAM")


@pytest.mark.parametrize(
    "claims",
    [
        {-3: 0, -4: 5770},  # a claim missing
        {-3: 5, -4: 5770, -5: 20777},  # no such insurer
        {-3: 0, -4: 2**32, -5: 20777},  # beyond what a valid invoice carries
        {-3: 0, -4: 5770, -5: 10**9},  # a date past year 9999
    ],
)
def test_invoice_claims_out_of_range_are_rejected_even_under_our_signature(
    claims: dict[int, int], key: Ed25519PrivateKey
) -> None:
    forged = seal({1: "DHN", 6: 0, -1: 1, -2: ULID, **claims}, key)
    with pytest.raises(InvalidQrToken):
        qr_token.decode(forged, keys_of(key))


def test_a_tampered_or_foreign_token_is_an_invalid_qr_token(
    token: str, key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    # The envelope's own checks are in test_signed_token; here, that they reach the invoice.
    for forged, keys in [(token[:-3] + "000", keys_of(key)), (token, keys_of(other_key)), ("nonsense", {})]:
        with pytest.raises(InvalidQrToken, match="Invalid signed token"):
            qr_token.decode(forged, keys)
    assert InvalidQrToken is signed_token.InvalidToken


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


def test_a_token_verifies_with_nothing_but_the_jwk(token: str, key: Ed25519PrivateKey) -> None:
    """What an insurer does offline: rebuild the key from the published JWK."""
    jwk = signed_token.jwk(key.public_key())
    x = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert qr_token.decode(token, {jwk["kid"]: Ed25519PublicKey.from_public_bytes(x)}) == CLAIMS


# --- chalicelib.core.signing_keys: the key material from configuration ---------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv(signing_keys.SIGNING_KEY_ENV, raising=False)
    monkeypatch.delenv(signing_keys.NEXT_KEYS_ENV, raising=False)
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
    assert jwks["keys"][0]["kid"] == signed_token.key_id(signing_keys.signing_key().public_key())

    env.delenv(signing_keys.RETIRED_KEYS_ENV)
    signing_keys.reset()
    with pytest.raises(InvalidQrToken):
        qr_token.decode(old_token, signing_keys.verification_keys())


@pytest.mark.parametrize("variable", [signing_keys.NEXT_KEYS_ENV, signing_keys.RETIRED_KEYS_ENV])
def test_malformed_published_key_names_its_variable(env: pytest.MonkeyPatch, variable: str) -> None:
    env.setenv(signing_keys.SIGNING_KEY_ENV, signing_keys.generate_seed())
    env.setenv(variable, "tooshort")
    with pytest.raises(RuntimeError, match=variable) as caught:
        signing_keys.verification_keys()
    assert "tooshort" not in str(caught.value)


def test_the_public_key_of_a_seed_is_the_x_of_its_jwk(env: pytest.MonkeyPatch) -> None:
    seed = signing_keys.generate_seed()
    env.setenv(signing_keys.SIGNING_KEY_ENV, seed)
    assert signing_keys.public_key(seed) == signing_keys.jwks()["keys"][0]["x"]
    raw = base64.urlsafe_b64decode(seed + "=")
    expected = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    assert base64.urlsafe_b64decode(signing_keys.public_key(seed) + "=") == expected


def test_a_next_key_is_published_before_it_signs(env: pytest.MonkeyPatch) -> None:
    old_seed, new_seed = signing_keys.generate_seed(), signing_keys.generate_seed()
    # Step 1: the next key is published, and the active one listed as retired ahead of time.
    env.setenv(signing_keys.SIGNING_KEY_ENV, old_seed)
    env.setenv(signing_keys.NEXT_KEYS_ENV, signing_keys.public_key(new_seed))
    env.setenv(signing_keys.RETIRED_KEYS_ENV, signing_keys.public_key(old_seed))
    old_kid = signed_token.key_id(signing_keys.signing_key().public_key())
    published = signing_keys.jwks()["keys"]
    assert [jwk["x"] for jwk in published] == [
        signing_keys.public_key(old_seed),
        signing_keys.public_key(new_seed),
    ]  # each once
    assert published[0]["kid"] == old_kid  # the active key first, and still the one that signs
    old_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    # A verifier keeps the JWKS it fetched then.
    cached = {
        jwk["kid"]: Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
        for jwk in published
    }

    # Step 2: the new seed signs.
    env.setenv(signing_keys.SIGNING_KEY_ENV, new_seed)
    signing_keys.reset()
    new_token = qr_token.encode(CLAIMS, signing_keys.signing_key())
    assert qr_token.decode(new_token, cached) == CLAIMS  # known before it signed
    assert [jwk["x"] for jwk in signing_keys.jwks()["keys"]] == [
        signing_keys.public_key(new_seed),
        signing_keys.public_key(old_seed),
    ]
    for token in (old_token, new_token):
        assert qr_token.decode(token, signing_keys.verification_keys()) == CLAIMS

    # Step 3: the new key is no longer "next"; nothing changes for the verifiers.
    env.delenv(signing_keys.NEXT_KEYS_ENV)
    signing_keys.reset()
    assert [jwk["x"] for jwk in signing_keys.jwks()["keys"]] == [
        signing_keys.public_key(new_seed),
        signing_keys.public_key(old_seed),
    ]


def test_the_jwks_lists_active_then_next_then_retired(env: pytest.MonkeyPatch) -> None:
    active, upcoming, retired = (signing_keys.generate_seed() for _ in range(3))
    env.setenv(signing_keys.SIGNING_KEY_ENV, active)
    env.setenv(signing_keys.NEXT_KEYS_ENV, signing_keys.public_key(upcoming))
    env.setenv(
        signing_keys.RETIRED_KEYS_ENV,
        f"{signing_keys.public_key(retired)},{signing_keys.public_key(upcoming)}",
    )
    xs = [jwk["x"] for jwk in signing_keys.jwks()["keys"]]
    assert xs == [
        signing_keys.public_key(active),
        signing_keys.public_key(upcoming),
        signing_keys.public_key(retired),
    ]
    assert list(signing_keys.verification_keys()) == [jwk["kid"] for jwk in signing_keys.jwks()["keys"]]
    # An unpublished key's token does not verify, whatever else is published.
    unpublished = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidQrToken):
        qr_token.decode(qr_token.encode(CLAIMS, unpublished), signing_keys.verification_keys())


def test_two_published_keys_under_one_kid_are_refused(env: pytest.MonkeyPatch) -> None:
    # A kid is 32 bits of a hash: two keys could share one, and then one would not verify.
    env.setattr(signed_token, "key_id", lambda _: "AAAAAA")
    env.setenv(signing_keys.SIGNING_KEY_ENV, signing_keys.generate_seed())
    env.setenv(signing_keys.RETIRED_KEYS_ENV, signing_keys.public_key(signing_keys.generate_seed()))
    with pytest.raises(RuntimeError, match=signing_keys.RETIRED_KEYS_ENV):
        signing_keys.jwks()
