"""An insurer verifies an invoice's QR code offline, as API.md tells it to: with the cwt library,
the base45 package and the JWKS, knowing nothing of DHN's code beyond the claim table.

Only the rotation steps touch DHN's configuration, as an operator would; the verifier stays
the same function throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import base45  # type: ignore[import-untyped]
import cbor2
import cwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cwt import COSE, COSEKey
from ulid import ULID

from chalicelib.core import signing_keys
from tests.api.conftest import NOW, Api
from tests.api.test_conventions import field_errors
from tests.api.test_invoices import issued
from tests.api.test_scan import altered

# The claim table of the contract: iss, iat, then DHN's keys.
ISS, IAT, KIND, ID, INSURER, TOTAL, DATE = 1, 6, -1, -2, -3, -4, -5
# What cwt, base45 and cbor2 raise for a token that is not genuine.
REFUSED = (ValueError, cwt.CWTError)


def verify_offline(qr: str, jwks: dict[str, Any]) -> dict[int | str, Any]:
    """The claims of a genuine DHN token; raises otherwise. This is the whole verifier."""
    if not qr.startswith("DHN1:"):
        raise ValueError("not a DHN token")
    message = base45.b45decode(qr.removeprefix("DHN1:"))
    keys = [COSEKey.from_jwk(jwk) for jwk in jwks["keys"]]
    claims = cwt.decode(message, keys)  # finds the key by kid and checks the signature
    assert isinstance(claims, dict)
    if claims[ISS] != "DHN":
        raise ValueError("not issued by DHN")
    return claims


def forge(claims: dict[int | str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    """A token as a forger makes one, with cwt and a key of his own under any kid he likes."""
    cose_key = COSEKey.new(
        {
            1: 1,  # OKP
            -1: 6,  # Ed25519
            2: kid.encode(),
            3: -8,  # EdDSA
            -2: key.public_key().public_bytes_raw(),
            -4: key.private_bytes_raw(),
        }
    )
    message = COSE.new().encode_and_sign(
        cbor2.dumps(claims), cose_key, protected={1: -8, 4: kid.encode()}, unprotected={}
    )
    return "DHN1:" + str(base45.b45encode(message).decode())


def published(api: Api) -> dict[str, Any]:
    got = api.get("/v1/.well-known/jwks.json")
    assert got.status == 200
    return dict(got.json)


@pytest.fixture
def rotation(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment, given back with the test's keys forgotten."""
    yield monkeypatch
    monkeypatch.undo()
    signing_keys.reset()


def test_an_issued_invoice_verifies_with_cwt_and_the_jwks_alone(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    invoice = issued(api, doctor)
    claims = verify_offline(invoice["qr"], published(api))
    assert claims == {
        ISS: "DHN",
        IAT: int(NOW.timestamp()),
        KIND: 1,  # an invoice
        ID: bytes(ULID.from_str(invoice["id"].removeprefix("inv_"))),
        INSURER: 0,  # CNS
        TOTAL: invoice["total_cents"],
        DATE: (date(2026, 11, 23) - date(1970, 1, 1)).days,  # issued on 23 November 2026
    }


def test_tokens_of_the_active_and_of_a_retired_key_both_verify(
    api: Api, rotation: pytest.MonkeyPatch
) -> None:
    doctor = api.doctor()
    api.patient()
    before = issued(api, doctor)["qr"]
    (old_key,) = published(api)["keys"]

    rotation.setenv("DHN_QR_SIGNING_KEY", signing_keys.generate_seed())
    rotation.setenv("DHN_QR_RETIRED_KEYS", old_key["x"])
    signing_keys.reset()
    after = issued(api, doctor)["qr"]
    jwks = published(api)
    assert [key["kid"] for key in jwks["keys"]][1:] == [old_key["kid"]]
    assert verify_offline(before, jwks)[TOTAL] == verify_offline(after, jwks)[TOTAL] == 5770
    with pytest.raises(REFUSED):  # the old key alone does not know the new one's tokens
        verify_offline(after, {"keys": [old_key]})


def test_a_next_key_verifies_with_the_jwks_fetched_before_it_signed(
    api: Api, rotation: pytest.MonkeyPatch
) -> None:
    doctor = api.doctor()
    api.patient()
    old_seed, new_seed = signing_keys.generate_seed(), signing_keys.generate_seed()
    rotation.setenv("DHN_QR_SIGNING_KEY", old_seed)
    rotation.setenv("DHN_QR_NEXT_KEYS", signing_keys.public_key(new_seed))
    rotation.setenv("DHN_QR_RETIRED_KEYS", signing_keys.public_key(old_seed))
    signing_keys.reset()
    kept = published(api)  # the insurer's copy, fetched before the new key signs anything
    assert [key["x"] for key in kept["keys"]] == [
        signing_keys.public_key(old_seed),
        signing_keys.public_key(new_seed),
    ]
    before = issued(api, doctor)["qr"]

    rotation.setenv("DHN_QR_SIGNING_KEY", new_seed)
    signing_keys.reset()
    after = issued(api, doctor)["qr"]
    assert before != after
    for qr in (before, after):
        assert verify_offline(qr, kept)[KIND] == 1


def test_a_token_signed_by_an_unpublished_key_fails(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    jwks = published(api)
    genuine = verify_offline(issued(api, doctor)["qr"], jwks)
    intruder = Ed25519PrivateKey.generate()
    for kid in ("intrdr", jwks["keys"][0]["kid"]):  # a kid of his own, or the one published
        forged = forge({**genuine, TOTAL: 1}, intruder, kid)
        with pytest.raises(REFUSED):
            verify_offline(forged, jwks)
        assert field_errors(api.post("/v1/insurer/scan", api.insurer(), {"qr": forged})) == ["qr"]


@pytest.mark.parametrize("position", [5, 30, 60, 100, 150, -2, -1])
def test_one_altered_character_fails(api: Api, position: int) -> None:
    doctor = api.doctor()
    api.patient()
    qr = issued(api, doctor)["qr"]
    jwks = published(api)
    assert verify_offline(qr, jwks)[TOTAL] == 5770
    with pytest.raises(REFUSED):
        verify_offline(altered(qr, position % len(qr)), jwks)
