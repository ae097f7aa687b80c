"""The key material of the QR tokens, read from configuration once per Lambda container.

- `DHN_QR_SIGNING_KEY`: base64url of the 32-byte Ed25519 seed that signs new tokens.
- `DHN_QR_RETIRED_KEYS`: comma-separated base64url raw 32-byte public keys of earlier
  signing keys. A rotation moves the old public key here, so every invoice printed before
  the rotation still verifies; a key leaves this list only when its invoices may no
  longer be honoured.

Nothing is read or parsed at import time (cold start): the first call does it and caches
the result; `reset()` forgets it when tests change the environment. `cryptography` is
imported inside the functions for the same reason.
"""

from __future__ import annotations

import base64
import functools
import os
import string
from typing import TYPE_CHECKING

from chalicelib.domain import qr_token

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SIGNING_KEY_ENV = "DHN_QR_SIGNING_KEY"
RETIRED_KEYS_ENV = "DHN_QR_RETIRED_KEYS"
_KEY_SIZE = 32
_BASE64URL = frozenset(string.ascii_letters + string.digits + "-_")


@functools.cache
def signing_key() -> Ed25519PrivateKey:
    """The active key that signs new QR tokens.

    There is no fallback to a generated key: a production stack started without its key
    would print invoices that no insurer can verify after the next cold start.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = os.environ.get(SIGNING_KEY_ENV, "").strip()
    if not seed:
        raise RuntimeError(
            f"{SIGNING_KEY_ENV} is not set: it must hold the base64url Ed25519 seed that "
            "signs the invoices' QR codes"
        )
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(seed, SIGNING_KEY_ENV))


@functools.cache
def verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a genuine token may be signed with, by key id: the active one first."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    active = signing_key().public_key()
    keys = {qr_token.key_id(active): active}
    for text in os.environ.get(RETIRED_KEYS_ENV, "").split(","):
        if text.strip():
            raw = _key_bytes(text.strip(), RETIRED_KEYS_ENV)
            retired = Ed25519PublicKey.from_public_bytes(raw)
            keys.setdefault(qr_token.key_id(retired), retired)
    return keys


@functools.cache
def jwks() -> dict[str, list[dict[str, str]]]:
    """The body of `GET /.well-known/jwks.json`."""
    return {"keys": [qr_token.jwk(key) for key in verification_keys().values()]}


def generate_seed() -> str:
    """A new signing key for `DHN_QR_SIGNING_KEY` (the local stack and the tests).

    An Ed25519 private key is any 32 random bytes, so no crypto library is needed here.
    """
    import secrets  # here, not at the top: only the local stack and the tests make keys

    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_SIZE)).rstrip(b"=").decode("ascii")


def reset() -> None:
    """Forget the cached keys, so the next call reads the environment again."""
    jwks.cache_clear()
    verification_keys.cache_clear()
    signing_key.cache_clear()


def _key_bytes(text: str, variable: str) -> bytes:
    """32 bytes from base64url, padding optional.

    The error names the variable and never echoes its value, which may be a secret.
    """
    unpadded = text.rstrip("=")
    raw = b""
    # urlsafe_b64decode alone would skip stray characters and take "+" and "/" as well.
    if set(unpadded) <= _BASE64URL and len(unpadded) % 4 != 1:
        raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    if len(raw) != _KEY_SIZE:
        raise RuntimeError(f"{variable} must hold base64url keys of {_KEY_SIZE} bytes")
    return raw
